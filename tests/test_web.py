"""platform: web — pages read with the registry's extract rules, in a real headless Chromium.

Pure parts first (CSS selectors, the rules, post dates), then one audit of every page case.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from nmaudit.dates import BEIJING
from nmaudit.models import Account, Extract, Extractor
from nmaudit.html import Document, SelectorError, parse_selector
from nmaudit.platforms.web import extract_values, post_time
from tests.conftest import by_id, codes, run_audit
from tests.emulator import NOT_FOUND, Reply, html_reply, redirect
from tests.feed_site import DOUYIN_CAPTCHA, county_app_page, douyin_profile, toutiao_like_page

AS_OF = datetime(2026, 11, 21, 10, 0, tzinfo=BEIJING)
FETCHED_AT = datetime(2026, 11, 21, 9, 58, tzinfo=BEIJING)  # for the pure tests


def beijing(*fields: int) -> datetime:
    return datetime(*fields, tzinfo=BEIJING)


def unix(moment: datetime) -> int:
    return int(moment.timestamp())


# -- CSS selectors and the rules, pure ---------------------------------------------------------

PAGE = Document("""<html><head><title> 平安宝鸡的抖音 - 抖音 </title>
<script>var tpl = "<li class='time'>never</li>";</script></head>
<body><div id="user" class="info main" data-e2e="user-info"><h1>平安<b>宝鸡</b></h1>
<ul class="list"><li class=item data-ts="1763600000"><span class="time">2026-11-20</span>
<li class="item top" data-ts="1700000000"><span class="time">3天前</span><p><span class="time">嵌套</span></p>
</ul><img src="/a.png" alt="头像"><br></div><p>一<p>二</p></body></html>""")


@pytest.mark.parametrize("css, attr, expected", [
    ("h1", None, ["平安宝鸡"]),
    ("[data-e2e=user-info] h1", None, ["平安宝鸡"]),
    ("[data-e2e='user-info'] > h1 > b", None, ["宝鸡"]),
    ('div[data-e2e="user-info"]', "id", ["user"]),
    ("#user > h1", None, ["平安宝鸡"]),
    ("DIV.info.main h1", None, ["平安宝鸡"]),
    ("ul > li > span.time", None, ["2026-11-20", "3天前"]),  # the nested one is not a child of li
    ("ul .time", None, ["2026-11-20", "3天前", "嵌套"]),
    ("li.top .time", None, ["3天前", "嵌套"]),
    ("li", "data-ts", ["1763600000", "1700000000"]),  # an unclosed <li> closes at the next one
    ("li[data-ts]", "data-missing", []),
    ("*[alt]", "src", ["/a.png"]),
    ("body > p", None, ["一", "二"]),
    ("title", None, ["平安宝鸡的抖音 - 抖音"]),
    ("script", None, ["var tpl = \"<li class='time'>never</li>\";"]),  # script text is not markup
    (".nothing", None, []),
])
def test_the_css_subset_selects_like_a_browser(css, attr, expected):
    assert PAGE.select(css, attr) == expected


def test_element_text_leaves_scripts_out():
    page = Document("<div class=a>发布于<script>var x = 1;</script> 2026-11-20 <style>p{}</style></div>")
    assert page.select(".a") == ["发布于 2026-11-20"]


@pytest.mark.parametrize("css, attr, expected", [
    ("li:nth-child(2)", "data-ts", ["1700000000"]),
    ("li:first-child .time", None, ["2026-11-20"]),
    ("li:not(.top)", "data-ts", ["1763600000"]),
    ("[data-e2e^=user]", "id", ["user"]),
    ("[data-e2e$=info]", "id", ["user"]),
    ("[class*=mai]", "id", ["user"]),
    ("[class~=main]", "id", ["user"]),
    ("[data-e2e='USER-INFO' i]", "id", ["user"]),
    ("h1 + ul > li", "data-ts", ["1763600000", "1700000000"]),  # adjacent sibling
    ("h1 ~ img", "alt", ["头像"]),  # any later sibling
    ("h1 + img", "alt", []),
    ("li:has(p) > span", None, ["3天前"]),
    ("p, h1", None, ["平安宝鸡", "嵌套", "一", "二"]),  # a list: document order
    ("li, li.top, ul > li", "data-ts", ["1763600000", "1700000000"]),  # each element once
])
def test_full_css_selectors_select_like_a_browser(css, attr, expected):
    assert PAGE.select(css, attr) == expected


@pytest.mark.parametrize("html, css, expected", [
    ("<div><p>宝鸡</p><p>发布</p></div>", "div", ["宝鸡 发布"]),  # paragraphs: not "宝鸡发布"
    ("<div>宝鸡<br>发布</div>", "div", ["宝鸡 发布"]),
    ("<ul><li>一</li><li>二</li></ul>", "ul", ["一 二"]),
    ("<table><tr><td>机构</td><td>宝鸡市</td></tr></table>", "tr", ["机构 宝鸡市"]),
    ("<section><section>平安</section><section>宝鸡</section></section>", "section", ["平安 宝鸡", "平安", "宝鸡"]),
    ("<h1>平安<b>宝鸡</b><span>发布</span></h1>", "h1", ["平安宝鸡发布"]),  # inline: no gap added
    ("<p>宝鸡<a href=#>发布</a>，<em> 欢迎 </em>关注</p>", "p", ["宝鸡发布， 欢迎 关注"]),
    ("<div> <p>\n 一 </p>\n\n<p>二</p><!-- 注释 --></div>", "div", ["一 二"]),
])
def test_texts_of_separate_blocks_are_separated_inline_texts_are_not(html, css, expected):
    assert Document(html).select(css) == expected


@pytest.mark.parametrize("css, message", [
    ("div:nth-chlid(2)", "invalid CSS selector 'div:nth-chlid(2)' at ':nth-chlid(2)'"),
    ("li.top:contains(3天) span", "invalid CSS selector 'li.top:contains(3天) span' at ':contains(3天) span'"),
    ("h1, h2,", "invalid CSS selector 'h1, h2,': it ends with a comma"),
    (", h2", "invalid CSS selector ', h2': it starts with a comma"),
    ("ul >", "invalid CSS selector 'ul >': it ends with a combinator"),
    ("ul > > li", "invalid CSS selector 'ul > > li' at '> > li': > > in a row"),
    ("a[href^=x] li.1st", "invalid CSS selector 'a[href^=x] li.1st' at '.1st'"),
    ("> li", "invalid CSS selector '> li': it starts with a combinator"),
    ("a[href^=x)", "invalid CSS selector 'a[href^=x)' at ')': ')' closes nothing"),
    # A browser would close these at the end; staff mean something else, so they are refused.
    ("li:not(.ad", "invalid CSS selector 'li:not(.ad' at '(.ad': '(' is never closed"),
    ("li:nth-child(2 span", "invalid CSS selector 'li:nth-child(2 span' at '(2 span': '(' is never closed"),
    ('a[href="/video/] b', "invalid CSS selector 'a[href=\"/video/] b' at '\"/video/] b': '\"' is never closed"),
    ("ul > li[data-ts", "invalid CSS selector 'ul > li[data-ts' at '[data-ts': '[' is never closed"),
    ("p::before", "invalid CSS selector 'p::before' at '::before'"),
    ("  ", "empty CSS selector"),
])
def test_what_is_not_a_selector_is_refused_saying_where(css, message):
    with pytest.raises(SelectorError) as info:
        parse_selector(css)
    assert str(info.value).startswith(message)
    if css.strip():
        assert "(supported: tag, .class, #id, [attr] with = ^= $= *= ~= |=" in str(info.value)
        with pytest.raises(SelectorError):
            PAGE.select(css)


@pytest.mark.parametrize("css", ["div:nth-child(2)", "h1, h2", "li ~ span", "a[href^=x]", ".a div.b span",
                                 "ul > li:not(.ad):nth-of-type(2n+1)", ":is(h1, h2) + p",
                                 r'[title="say \"hi\"]"]', r".md\:flex"])  # escapes are not brackets or quotes
def test_selectors_a_browser_reads_are_accepted(css):
    assert parse_selector(f"  {css} ") == css


@pytest.mark.parametrize("extractor, expected", [
    (Extractor(css="h1"), ["平安宝鸡"]),
    (Extractor(css="li", attr="data-ts"), ["1763600000", "1700000000"]),
    (Extractor(css="h1", regex="平安(.+)"), ["宝鸡"]),  # group 1
    (Extractor(regex=r"data-ts=\"\d+\""), ['data-ts="1763600000"', 'data-ts="1700000000"']),  # source, group 0
    (Extractor(regex=r"<title>(.*?)</title>"), ["平安宝鸡的抖音 - 抖音"]),  # whitespace collapsed
    (Extractor(css="ul .time", regex=r"\d{4}-\d{2}-\d{2}"), ["2026-11-20"]),
    (Extractor(css="br"), []),  # blank values are dropped
])
def test_extract_values(extractor, expected):
    assert extract_values(extractor, PAGE) == expected


@pytest.mark.parametrize("value, format, expected", [
    ("1763600000", "%s", datetime.fromtimestamp(1763600000, timezone.utc)),
    ("2026年11月18日 09:30", "%Y年%m月%d日 %H:%M", beijing(2026, 11, 18, 9, 30)),  # naive: Beijing time
    ("2026-11-18T01:30:00+0000", "%Y-%m-%dT%H:%M:%S%z", beijing(2026, 11, 18, 9, 30)),
    ("11月20日", "%m月%d日", beijing(2026, 11, 20)),  # no year: this year
    ("11月22日", "%m月%d日", beijing(2025, 11, 22)),  # ...unless that is after the fetch
    ("昨天 10:02", "%m月%d日", beijing(2026, 11, 20, 10, 2)),  # not the format: the default parser
    ("2026-11-19 20:15", None, beijing(2026, 11, 19, 20, 15)),
    ("3天前", None, FETCHED_AT - timedelta(days=3)),
])
def test_post_time(value, format, expected):
    assert post_time(value, format, FETCHED_AT) == expected


@pytest.mark.parametrize("value, format", [("上周", None), ("上周", "%Y-%m-%d"), ("later", "%s")])
def test_post_time_refuses_what_it_cannot_read(value, format):
    with pytest.raises(ValueError):
        post_time(value, format, FETCHED_AT)


# -- the adapter, in Chromium ----------------------------------------------------------------

FRESH = beijing(2026, 11, 19, 20, 15)
OLDER = beijing(2026, 11, 12, 8, 0)
PINNED_OLD = beijing(2025, 1, 3, 9, 0)
MONTH_AGO = beijing(2026, 10, 22, 11, 0)
STALE = beijing(2026, 11, 1, 11, 0)

NAME = Extractor(css="[data-e2e=user-info] h1")
CERTIFICATION = Extractor(css=".verify-text")
SHOWN_TIMES = Extractor(css="li .time")
UNIX_TIMES = Extractor(css="li", attr="data-ts", format="%s")
SOURCE_TIMES = Extractor(regex=r"createTime%22%3A(\d+)", format="%s")  # RENDER_DATA is URL-encoded


def douyin(*moments: datetime, nickname: str = "平安宝鸡") -> str:
    return douyin_profile(nickname, "宝鸡市公安局官方账号",
                          [(f"{moment:%Y-%m-%d %H:%M}", unix(moment)) for moment in moments])


def douyin_url(key: str) -> str:
    return f"https://www.douyin.com/user/MS4wLjABAAAA-{key}"


def video_list(posts: list[datetime], ad: datetime) -> str:
    """A county video site's account page: a promoted item (class ad) and a shop link among the
    videos (/video/<id>), both newer than any video; the name follows its label, the
    certification the name."""
    items = [f'<li class="ad"><a href="/video/900" data-time="{ad:%Y-%m-%d %H:%M}">推广：宝鸡文旅</a></li>',
             f'<li><a href="https://mall.example.com/item/1" data-time="{ad:%Y-%m-%d %H:%M}">好物推荐</a></li>']
    items[1:1] = [f'<li><a href="/video/{7300 + n}" data-time="{moment:%Y-%m-%d %H:%M}">第{n}期</a></li>'
                  for n, moment in enumerate(posts)]
    return ('<html><head><title>宝鸡发布 - 视频</title></head><body><div class="profile">'
            '<span class="label">账号</span><h2>宝鸡发布</h2><span class="label">认证</span>'
            '<em>宝鸡市委网信办官方账号</em><em>粉丝 12万</em></div>'
            f'<ul class="videos">{"".join(items)}</ul></body></html>')


#: Rules only full CSS can write: sibling combinators, :first-child, :nth-of-type, :not, ^=.
FULL_CSS = Extract(
    name=Extractor(css=".profile > .label:first-child + h2"),
    certification=Extractor(css=".profile > h2 ~ em:nth-of-type(1)"),
    posts=Extractor(css='ul.videos > li:not(.ad) > a[href^="/video/"]', attr="data-time", format="%Y-%m-%d %H:%M"))
VIDEO_SITE = {"name": "宝鸡发布", "owner": "宝鸡市委网信办", "certified_as": "宝鸡市委网信办"}


#: account id -> (pages served: url -> reply, extract rules, registry overrides)
CASES: dict[str, tuple[dict[str, Reply], Extract | None, dict]] = {
    "douyin-css": (
        {douyin_url("css"): html_reply(douyin(PINNED_OLD, FRESH, OLDER))},
        Extract(name=NAME, certification=CERTIFICATION, posts=SHOWN_TIMES), {}),
    "douyin-attr-unix": (
        {douyin_url("attr"): html_reply(douyin(FRESH, OLDER))},
        Extract(name=NAME, posts=UNIX_TIMES), {}),
    "douyin-source-regex": (
        {douyin_url("source"): html_reply(douyin(OLDER, FRESH))},
        Extract(name=NAME, posts=SOURCE_TIMES), {}),
    "county-app-gbk": (
        {"https://www.fengxiang.gov.cn/app/": Reply(body=county_app_page("凤翔发布", "2026年11月18日 09:30"),
                                                    content_type="text/html")},
        Extract(name=Extractor(css="h1.app-name"),
                posts=Extractor(css=".update-time", regex="更新时间：(.+)", format="%Y年%m月%d日 %H:%M")),
        {"name": "凤翔发布", "certified_as": None}),
    "county-app-gbk-undeclared": (
        {"https://www.fengxiang.gov.cn/app/old/": Reply(
            body=county_app_page("凤翔发布", "2026年11月18日 09:30", declared=False), content_type="text/html")},
        Extract(name=Extractor(css="h1.app-name"),
                posts=Extractor(css=".update-time", regex="更新时间：(.+)", format="%Y年%m月%d日 %H:%M")),
        {"name": "凤翔发布", "certified_as": None}),
    "toutiao-month-day": (
        {"https://www.toutiao.com/c/user/token/MS4wLjABAAAA-md/": html_reply(
            toutiao_like_page("平安宝鸡", ["11月20日", "10月02日"]))},
        Extract(name=Extractor(css=".profile-info .name"),
                certification=Extractor(css=".auth-info", regex="认证：(.+)"),
                posts=Extractor(css=".feed-card-time", format="%m月%d日")), {}),
    "relative-times": (
        {douyin_url("relative"): html_reply(douyin_profile("平安宝鸡", "宝鸡市公安局官方账号", [("3天前", 0)]))},
        Extract(posts=SHOWN_TIMES), {}),
    "stale-full-list": (
        {douyin_url("stale"): html_reply(douyin(STALE))}, Extract(posts=SHOWN_TIMES), {}),
    "lower-bound-old": (
        {douyin_url("bound-old"): html_reply(douyin(MONTH_AGO))},
        Extract(posts=SHOWN_TIMES, lists_newest=False), {}),
    "lower-bound-fresh": (
        {douyin_url("bound-fresh"): html_reply(douyin(FRESH))},
        Extract(posts=SHOWN_TIMES, lists_newest=False), {}),
    "only-name": (
        {douyin_url("only-name"): html_reply(douyin(MONTH_AGO, nickname="宝鸡公安"))},
        Extract(name=NAME), {}),
    "two-pages": (
        {"https://www.baoji.gov.cn/xmt/pajb/": html_reply(
            '<html><head><title>平安宝鸡</title></head><body><div data-e2e="user-info"><h1>平安宝鸡</h1></div>'
            '</body></html>'),
         douyin_url("two-pages"): html_reply(douyin(FRESH))},
        Extract(name=NAME, posts=UNIX_TIMES), {}),
    "posts-match-nothing": (
        {douyin_url("nothing"): html_reply(douyin(FRESH))},
        Extract(name=NAME, posts=Extractor(css=".video-create-time")), {}),
    "name-matches-nothing": (
        {douyin_url("no-name"): html_reply(douyin(FRESH))},
        Extract(name=Extractor(css="h2.nickname"), posts=SHOWN_TIMES), {}),
    "dates-unreadable": (
        {douyin_url("unreadable"): html_reply(douyin(FRESH))},
        Extract(posts=Extractor(css="li p")), {}),
    "captcha": (
        {douyin_url("captcha"): html_reply(DOUYIN_CAPTCHA)}, Extract(name=NAME, posts=SHOWN_TIMES), {}),
    "captcha-redirect": (
        {douyin_url("verify"): redirect("https://rmc.bytedance.com/verifycenter/captcha/v2?from=douyin")},
        Extract(name=NAME, posts=SHOWN_TIMES), {}),
    "status-403": (
        {douyin_url("forbidden"): Reply(status=403, body="<html><body>Forbidden</body></html>")},
        Extract(name=NAME, posts=SHOWN_TIMES), {}),
    "page-404": ({douyin_url("gone"): NOT_FOUND}, Extract(name=NAME, posts=SHOWN_TIMES), {}),
    "connection-reset": (
        {douyin_url("reset"): Reply(drop=True)}, Extract(name=NAME, posts=SHOWN_TIMES), {}),
    "full-css-active": (
        {"https://v.baoji.gov.cn/u/bjfb": html_reply(video_list([FRESH, OLDER], ad=PINNED_OLD))}, FULL_CSS,
        VIDEO_SITE),
    "full-css-idle": (  # the promoted item and the shop link are fresh; the videos are not
        {"https://v.baoji.gov.cn/u/bjfb-idle": html_reply(video_list([STALE, MONTH_AGO], ad=FRESH))}, FULL_CSS,
        VIDEO_SITE),
    # A page without an adapter of its own (Douyin, Bilibili and Kuaishou have theirs).
    "no-extract": ({"https://app.baoji.gov.cn/pajb/profile": html_reply(douyin(FRESH))}, None, {}),
}


#: Pages the accounts' pages lead to. The captcha's title is neutral: the URL alone tells.
LED_TO = {"https://rmc.bytedance.com/verifycenter/captcha/v2": html_reply(
    "<html><head><title>抖音</title></head><body><div id=captcha_container></div></body></html>")}


def web_account(account_id: str, urls: list[str], extract: Extract | None, **fields) -> Account:
    values = {"name": "平安宝鸡", "platform": "web", "owner": "宝鸡市公安局", "certified_as": "宝鸡市公安局",
              "urls": urls, "extract": extract}
    values.update(fields)
    return Account(id=account_id, **values)


@pytest.fixture(scope="module")
def audited(emulator, tmp_path_factory):
    accounts = []
    for url, reply in LED_TO.items():
        emulator.add(url, reply)
    for account_id, (pages, extract, overrides) in CASES.items():
        for url, reply in pages.items():
            emulator.add(url, reply)
        accounts.append(web_account(account_id, list(pages), extract, **overrides))
    folder = tmp_path_factory.mktemp("web")
    return by_id(run_audit(emulator, accounts, folder, as_of=AS_OF))


@pytest.mark.browser
@pytest.mark.parametrize("account_id, newest", [
    ("douyin-css", FRESH),  # an old pinned post listed first does not hide the newest
    ("douyin-attr-unix", FRESH),
    ("douyin-source-regex", FRESH),
    ("county-app-gbk", beijing(2026, 11, 18, 9, 30)),
    ("county-app-gbk-undeclared", beijing(2026, 11, 18, 9, 30)),
    ("two-pages", FRESH),
])
def test_a_page_read_by_its_rules_passes(audited, account_id, newest):
    item = audited[account_id]
    assert item.judgement.verdict == "pass", item.judgement.findings
    assert codes(item) == []
    assert item.observation.newest_post_at == newest
    assert item.observation.newest_post_lists_newest
    assert item.observation.checks[0] == "update"


@pytest.mark.browser
def test_name_and_certification_are_read_from_the_page(audited):
    observation = audited["douyin-css"].observation
    assert (observation.name, observation.certification) == ("平安宝鸡", "宝鸡市公安局官方账号")
    assert observation.name_source == douyin_url("css")
    assert observation.checks == ["update", "name", "certification"]
    assert observation.posts_seen == 3
    assert observation.not_checked == ["interaction", "availability"]


@pytest.mark.browser
@pytest.mark.parametrize("account_id", ["county-app-gbk", "county-app-gbk-undeclared"])
def test_a_gbk_page_is_read_whether_its_charset_is_declared_or_not(audited, account_id):
    assert audited[account_id].observation.name == "凤翔发布"


@pytest.mark.browser
def test_rules_in_full_css_read_the_page(audited):
    item = audited["full-css-active"]
    assert item.judgement.verdict == "pass", item.judgement.findings
    assert (item.observation.name, item.observation.certification) == ("宝鸡发布", "宝鸡市委网信办官方账号")
    assert item.observation.newest_post_at == FRESH
    assert item.observation.posts_seen == 2


@pytest.mark.browser
def test_rules_in_full_css_leave_out_what_they_exclude(audited):
    item = audited["full-css-idle"]  # read with the promoted item or the shop link, it would pass
    assert item.judgement.verdict == "fail"
    assert codes(item) == ["stale-14d"]
    assert item.observation.newest_post_at == STALE
    assert item.observation.posts_seen == 2


@pytest.mark.browser
def test_two_pages_combine_name_from_one_and_posts_from_the_other(audited):
    observation = audited["two-pages"].observation
    assert observation.name_source == "https://www.baoji.gov.cn/xmt/pajb/"
    assert observation.newest_post_source == douyin_url("two-pages")
    assert [source.outcome for source in observation.sources] == ["ok", "ok"]


@pytest.mark.browser
def test_a_format_without_year_means_this_year(audited):
    item = audited["toutiao-month-day"]
    fetched = item.observation.sources[0].fetched_at.astimezone(BEIJING)
    newest = item.observation.newest_post_at
    assert (newest.month, newest.day) == (11, 20)
    assert newest.year == (fetched.year if (fetched.month, fetched.day) >= (11, 20) else fetched.year - 1)
    assert item.observation.certification == "宝鸡市公安局官方账号"


@pytest.mark.browser
def test_relative_times_resolve_against_the_fetch_time(audited):
    observation = audited["relative-times"].observation
    assert observation.newest_post_at == observation.sources[0].fetched_at - timedelta(days=3)


@pytest.mark.browser
@pytest.mark.parametrize("account_id, verdict, expected_codes, message", [
    ("stale-full-list", "fail", ["stale-14d"], "超过14天未更新：最新发布于2026-11-01，已20天"),
    ("lower-bound-old", "review", ["update-unverified"],
     "仅见2026-10-22的发布（单篇来源，不能证明此后未更新），需人工核查"),
    ("lower-bound-fresh", "pass", [], None),
])
def test_only_a_page_that_lists_the_newest_posts_can_prove_idleness(audited, account_id, verdict,
                                                                    expected_codes, message):
    item = audited[account_id]
    assert item.judgement.verdict == verdict
    assert codes(item) == expected_codes
    if message:
        assert item.judgement.findings[0].message == message
    assert item.observation.newest_post_lists_newest is (account_id == "stale-full-list")


@pytest.mark.browser
def test_only_what_the_rules_declare_is_checked(audited):
    item = audited["only-name"]
    assert item.observation.checks == ["name"]
    assert item.observation.newest_post_at is None
    assert item.judgement.verdict == "pass"  # an old post on the page is not read: no update check
    assert [(f.code, f.message) for f in item.judgement.findings] == [
        ("name-mismatch", "账号名称与报备不一致：报备“平安宝鸡”，实际“宝鸡公安”")]


@pytest.mark.browser
@pytest.mark.parametrize("account_id, code, message", [
    ("posts-match-nothing", "unparsed",
     f"按提取规则 extract.posts（css “.video-create-time”） 未能读到发布时间：{douyin_url('nothing')}"),
    ("name-matches-nothing", "unparsed",
     f"按提取规则 extract.name（css “h2.nickname”） 未能读到账号名称：{douyin_url('no-name')}"),
    ("dates-unreadable", "unparsed",
     f"按提取规则 extract.posts（css “li p”） 未能读到发布时间（无法识别的时间：#宝鸡 第0条）：{douyin_url('unreadable')}"),
    ("captcha", "blocked", f"遇到验证码或登录页面（页面标题“验证码中间页”）：{douyin_url('captcha')}"),
    ("captcha-redirect", "blocked",
     "被引导至验证或登录页面：https://rmc.bytedance.com/verifycenter/captcha/v2?from=douyin"),
    ("status-403", "blocked", f"平台拒绝访问或限制频率（HTTP 403，共尝试1次）：{douyin_url('forbidden')}"),
    ("page-404", "unreachable", f"页面返回 HTTP 404（可能已删除或地址有误）：{douyin_url('gone')}"),
    ("connection-reset", "unreachable", f"无法访问 {douyin_url('reset')}：Page.goto: net::ERR_"),
])
def test_what_could_not_be_read_is_review_never_idle(audited, account_id, code, message):
    item = audited[account_id]
    assert item.judgement.verdict == "review"
    assert codes(item) == [code]
    assert item.judgement.findings[0].message.startswith(message)
    assert item.observation.newest_post_at is None or account_id == "name-matches-nothing"
    evidence = item.judgement.findings[0].evidence
    assert evidence and all(Path(path).exists() for path in evidence)


@pytest.mark.browser
def test_a_page_where_a_rule_finds_nothing_is_recorded_unparsed(audited):
    assert [s.outcome for s in audited["posts-match-nothing"].observation.sources] == ["unparsed"]
    assert [s.outcome for s in audited["captcha"].observation.sources] == ["blocked"]


@pytest.mark.browser
def test_without_extract_rules_the_account_is_left_to_staff(audited):
    item = audited["no-extract"]
    assert item.judgement.verdict == "review" and codes(item) == ["unsupported"]
    assert item.judgement.findings[0].message == (
        "未配置提取规则（extract），暂不支持自动检查该页面，需人工核查：https://app.baoji.gov.cn/pajb/profile")
    assert item.observation.checks == [] and item.observation.sources == []
