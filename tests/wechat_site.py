"""mp.weixin.qq.com and weixin.sogou.com as a cookieless Chromium sees them (platforms.md).

Album pages list `li[data-link]` items with `.js_article_create_time` (Unix seconds) and the
account in `.album__author-name`; the custom homepage is a shell whose list comes from a POST
(`action=appmsg_list`) answering `appmsg_list[]`; article pages carry their facts in script
variables (`var ct`, `window.ct`, `var createTime`, `oriCreateTime`, `var nickname`) and fill
`#publish_time` by script; walls and gone pages are WeUI message pages without `#js_content`.

Sogou walls a client off by count (`sogou_wall_after` searches answered) or by pace
(`sogou_patience`): a search sooner than that after the previous one meets the antispider
page, and so does every search for `sogou_wall_for` seconds after it.
"""

from __future__ import annotations

import html
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Optional, Union
from urllib.parse import urlencode

from tests.emulator import Emulator, Reply, Request, html_reply, json_reply, redirect

BIZ = "MzA3MTAwMDAwMQ=="
NAME = "宝鸡发布"
SUBJECT = "宝鸡市人民政府新闻办公室"

#: Scripts every article page has: htmlDecode, and #publish_time written from ct.
ARTICLE_HELPERS = """<script type="text/javascript">
function htmlDecode(str) { var e = document.createElement("textarea"); e.innerHTML = str; return e.value; }
</script>"""


def unix(moment: datetime) -> int:
    return int(moment.timestamp())


def message_page(title: str, description: str = "", verify_button: bool = False, script: str = "") -> str:
    """A WeUI message page (walls, deleted content, gone accounts): no #js_content."""
    button = ('<div class="weui-msg__opr-area"><p class="weui-btn-area">'
              '<a id="js_verify" class="weui-btn weui-btn_primary" href="javascript:;">去验证</a></p></div>'
              if verify_button else "")
    desc = f'<p class="weui-msg__desc">{description}</p>' if description else ""
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1.0,maximum-scale=1.0,user-scalable=0">
<meta property="og:site_name" content="微信公众平台">
<title></title></head>
<body class="zh_CN">
<div class="weui-msg">
  <div class="weui-msg__icon-area"><i class="weui-icon-warn weui-icon_msg-primary"></i></div>
  <div class="weui-msg__text-area"><h2 class="weui-msg__title">{title}</h2>{desc}</div>
  {button}
</div>
{script}
</body></html>"""


# Canned pages from platforms.md.
ENVIRONMENT_ABNORMAL = message_page("环境异常", "当前环境异常，完成验证后即可继续访问。", verify_button=True)
TOO_FREQUENT = message_page("访问过于频繁", "请稍后再试")
OPERATE_TOO_OFTEN = message_page("操作频繁，请稍候再试")
CLIENT_ONLY = message_page("请在微信客户端打开链接")
LINK_EXPIRED = message_page("链接已过期")
DELETED_BY_AUTHOR = message_page("该内容已被发布者删除")
DELETED_FOR_VIOLATION = message_page("此内容因违规无法查看")
SEND_FAILED = message_page("此内容发送失败无法查看")
ACCOUNT_BLOCKED = message_page("此帐号已被屏蔽, 内容无法查看")
ACCOUNT_CANCELLED = message_page("此帐号已自主注销，内容无法查看")
ACCOUNT_MIGRATING = message_page("此帐号处于帐号迁移流程中")
CAPTCHA_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>微信公众平台</title></head>
<body><div class="weui-msg"><div class="weui-msg__text-area"><h2 class="weui-msg__title">安全验证</h2>
<p class="weui-msg__desc">拖动下方滑块完成拼图</p></div><div id="captcha_slider"></div></div></body></html>"""
SOGOU_CAPTCHA_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>搜狗搜索</title></head>
<body><div class="content-box"><p class="p2">用户您好，您的访问过于频繁，为确认本次访问为正常用户行为，需要您协助验证。</p>
<form name="authform" method="POST"><p class="p3"><label for="seccodeInput">验证码：</label>
<input type="text" name="c" id="seccodeInput" placeholder="请输入验证码"><img id="seccodeImage" alt="请输入验证码"></p>
<a id="submit" href="javascript:void(0)">提交</a></form></div></body></html>"""
UNKNOWN_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>微信公众平台</title></head>
<body><div class="page_msg"><p>您访问的页面正在维护</p></div></body></html>"""


def migrated_page(target: str) -> str:
    """The page a migrated account's old links show; the target link sits in a script, HTML-escaped."""
    escaped = target.replace("&", "&amp;")
    return message_page("该公众号已迁移", "该公众号已迁移至新的帐号，原帐号已回收", script=(
        f"<script>var transferTargetLink = '{escaped}';\n"
        "document.querySelector('.weui-msg__title').onclick = function () { location.href = htmlDecode(transferTargetLink); };"
        "</script>"))


@dataclass
class Article:
    """An article page; `time_style` and `name_style` pick the variant the server sends."""

    posted: Optional[datetime]
    time_style: str = "ct"  # ct | window.ct | createTime | oriCreateTime | js_article_create_time | none
    name_style: str = "htmlDecode"  # htmlDecode | var | js_name | wx_follow_nickname | none
    nickname: str = NAME
    title: str = "宝鸡市召开2026年冬季安全生产工作会议"
    short: bool = False  # /s/<id> rather than /s?__biz=..&mid=..&idx=..&sn=..
    rewrite: bool = False  # a script rewrites #publish_time and .js_article_create_time with other dates
    albums: tuple[str, ...] = ()  # ids of the 合集 the article belongs to (linked as real articles do)

    def album_script(self) -> str:
        """Real articles name their 合集 in a script object, the URL HTML-escaped (&amp;)."""
        return "\n".join(
            f"var album_info_{index} = {{ albumId: '{album}', url: 'https://mp.weixin.qq.com/mp/appmsgalbum?"
            f"__biz={BIZ}&amp;action=getalbum&amp;album_id={album}#wechat_redirect' }};"
            for index, album in enumerate(self.albums))
    body: str = ("<p>11月20日，市政府召开冬季安全生产工作会议。会议要求，各单位要压实责任。</p>\n"
                 "    <p>（来源：宝鸡发布）</p>")

    def time_script(self) -> str:
        if self.posted is None:
            return ""
        seconds = unix(self.posted)
        return {
            "ct": f'var ct = "{seconds}";',
            "window.ct": f"window.ct = '{seconds}' || '';",
            "createTime": f"var createTime = '{self.posted:%Y-%m-%d %H:%M}';",
            "oriCreateTime": f"var oriCreateTime = {seconds};",
            "js_article_create_time": "",
            "none": "",
        }[self.time_style]

    def html(self) -> str:
        name_var = {"htmlDecode": f'var nickname = htmlDecode("{html.escape(self.nickname)}");',
                    "var": f'var nickname = "{self.nickname}";'}.get(self.name_style, "")
        js_name = (f'<a href="javascript:void(0);" class="wx_tap_link js_wx_tap_highlight" id="js_name">'
                   f'{self.nickname}</a>' if self.name_style == "js_name" else "")
        follow = (f'<div class="wx_follow_context"><div class="wx_follow_nickname">{self.nickname}</div></div>'
                  if self.name_style == "wx_follow_nickname" else "")
        in_source = (f'<span class="js_article_create_time" style="display:none">{unix(self.posted)}</span>'
                     if self.time_style == "js_article_create_time" and self.posted else "")
        rewrite = ("""<script>
document.getElementById("publish_time").textContent = "2019-01-01";
document.querySelectorAll(".js_article_create_time").forEach(function (e) { e.textContent = "1546300800"; });
</script>""" if self.rewrite else "")
        return f"""<!DOCTYPE html>
<html><head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1.0,maximum-scale=1.0,user-scalable=0,viewport-fit=cover">
<meta property="og:title" content="{self.title}">
<meta property="og:site_name" content="微信公众平台">
<meta property="og:type" content="article">
<title>{self.title}</title>
{ARTICLE_HELPERS}
</head>
<body id="activity-detail" class="zh_CN wx_wap_page">
<div id="js_article" class="rich_media"><div class="rich_media_inner"><div id="page-content" class="rich_media_area_primary">
  <h1 class="rich_media_title" id="activity-name">{self.title}</h1>
  <div id="meta_content" class="rich_media_meta_list">
    <span class="rich_media_meta rich_media_meta_nickname" id="profileBt">{js_name}</span>
    <em id="publish_time" class="rich_media_meta rich_media_meta_text"></em>{in_source}
  </div>
  <div class="rich_media_content js_underline_content" id="js_content">
    {self.body}
  </div>
  {follow}
</div></div></div>
<script type="text/javascript">
var biz = "{BIZ}" || "";
var user_name = "gh_1a2b3c4d5e6f";
var msg_title = "{self.title}";
{self.album_script()}
{name_var}
{self.time_script()}
</script>
<script>
if (window.ct || typeof ct !== "undefined") {{
  var shown = new Date((window.ct || ct) * 1000);
  document.getElementById("publish_time").textContent = shown.getFullYear() + "年" + (shown.getMonth() + 1) + "月" + shown.getDate() + "日";
}}
</script>
{rewrite}
</body></html>"""


@dataclass
class Album:
    """An album (合集) page; a None post is an item whose time is missing."""

    posts: list[Optional[datetime]]
    name: str = NAME
    title: str = "宝鸡要闻"

    def html(self, album_id: str) -> str:
        items = []
        for index, posted in enumerate(self.posts):
            mid = 2650000000 + index
            link = f"http://mp.weixin.qq.com/s?__biz={BIZ}&amp;mid={mid}&amp;idx=1&amp;sn=a{album_id}{index}#rd"
            stamp = f'<span class="album__item-info-item js_article_create_time">{unix(posted)}</span>' if posted else ""
            items.append(f"""<li class="album__list-item js_album_item js_wx_tap_highlight wx_tap_cell"
    data-msgid="{mid}" data-itemidx="1" data-link="{link}" data-title="{self.title}第{index + 1}期">
  <div class="album__item-content">
    <div class="album__item-title"><span class="album__item-title-wrp">{self.title}第{index + 1}期</span></div>
    <div class="album__item-info">{stamp}</div>
  </div>
</li>""")
        return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><meta property="og:site_name" content="微信公众平台">
<title>{self.title}</title></head>
<body class="zh_CN">
<div class="album_page">
  <div class="album__head">
    <div class="album__label-title">#{self.title}</div>
    <div class="album__author-info"><span class="album__author-name">{self.name}</span></div>
    <div class="album__label-num">{len(self.posts)}篇内容</div>
  </div>
  <div class="album__list js_album_list"><ul class="album__list-wrp">
{chr(10).join(items)}
  </ul></div>
</div>
<script>
document.querySelectorAll(".js_article_create_time").forEach(function (e) {{
  var d = new Date(e.textContent * 1000); e.textContent = (d.getMonth() + 1) + "月" + d.getDate() + "日";
}});
</script>
</body></html>"""


HOMEPAGE_SHELL = f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><meta property="og:site_name" content="微信公众平台"><title>{NAME}</title></head>
<body class="zh_CN"><div id="js_homepage" class="homepage"><div class="homepage__banner"></div>
<div class="homepage__list js_list"></div><div class="weui-loadmore"><span class="weui-loadmore__tips">正在加载</span></div></div>
<script>var appmsg_list_url = location.href;</script></body></html>"""


@dataclass
class Homepage:
    """A custom homepage: the shell page, then the POSTed list (a None post has no sendtime)."""

    posts: list[Optional[datetime]]
    shell: Optional[Reply] = None
    listing: Optional[Reply] = None

    def list_document(self) -> dict:
        appmsgs = []
        for index, posted in enumerate(self.posts):
            item = {"title": f"宝鸡发布第{index + 1}条", "digest": "市政府工作动态",
                    "cover": "https://mmbiz.qpic.cn/mmbiz_jpg/cover/0?wx_fmt=jpeg",
                    "link": f"http://mp.weixin.qq.com/s?__biz={BIZ}&mid={2650100000 + index}&idx=1&sn=h{index}#rd"}
            if posted is not None:
                item["sendtime"] = unix(posted)
            appmsgs.append(item)
        return {"base_resp": {"ret": 0, "errmsg": "ok"}, "appmsg_list": appmsgs, "is_end": 0}


@dataclass
class VerifyInfo:
    rows: dict[str, str] = field(default_factory=lambda: {
        "机构名称": SUBJECT, "认证时间于": "2021年05月12日", "统一社会信用代码": "11610300MB1234567X"})

    def html(self) -> str:
        items = "".join(f'<li class="verify_item"><div class="verify_item_title">{title}</div>'
                        f'<div class="verify_item_desc">{value}</div></li>' for title, value in self.rows.items())
        return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>认证详情</title></head>
<body><div class="verify_info"><h2 class="verify_info_title">微信认证</h2><ul class="verify_list">{items}</ul></div>
</body></html>"""


@dataclass
class SogouAccount:
    """One result of Sogou's account search; certification None: no 认证 row."""

    name: str
    certification: Optional[str] = SUBJECT
    latest: Optional[datetime] = None
    wechat_id: str = "baojifabu"


def sogou_page(query: str, results: list[SogouAccount]) -> str:
    """Sogou's account search as served: results link through /link?url= redirects; the word
    微信认证 and the article times are written by scripts (authname, timeConvert)."""
    if not results:
        return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{query}的相关微信公众号 – 搜狗微信搜索</title></head>
<body><div class="main-left"><div id="noresult_part1_container" class="no-sosuo">
<p>暂无与“<em>{query}</em>”相关的微信公众号</p><p>建议您：检查输入是否正确，或简化查询词</p></div></div></body></html>"""
    items = []
    for index, result in enumerate(results):
        certified = (f"<dl><dt>\n<script>document.write(authname('2'))</script>认证：</dt><dd>{result.certification}</dd></dl>"
                     if result.certification is not None else "")
        latest = (f"<dl><dt>最近文章：</dt><dd><a target=\"_blank\" uigs=\"account_article_{index}\" "
                  f"href=\"/link?url=dn9a_a{index}&amp;type=1\">冬季安全生产工作会议召开</a>"
                  f"<span><script>document.write(timeConvert('{unix(result.latest)}'))</script></span></dd></dl>"
                  if result.latest else "")
        highlighted = result.name.replace(query, f"<em><!--red_beg-->{query}<!--red_end--></em>")
        items.append(f"""<li id="sogou_vr_11002301_box_{index}" d="oIWsFt{index}">
<div class="gzh-box2"><div class="txt-box">
<p class="tit"><a target="_blank" uigs="account_name_{index}" href="/link?url=dn9a_n{index}&amp;type=1">{highlighted}</a></p>
<p class="info">微信号：<label name="em_weixinhao">{result.wechat_id}</label></p></div></div>
<dl><dt>功能介绍：</dt><dd>发布权威信息，服务人民群众</dd></dl>
{certified}
{latest}
</li>""")
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{query}的相关微信公众号 – 搜狗微信搜索</title>
<script>function timeConvert(t) {{ var d = new Date(t * 1000); return d.getFullYear() + "-" + (d.getMonth() + 1) + "-" + d.getDate(); }}
function authname(t) {{ return t == '2' ? '微信' : ''; }}</script></head>
<body><div class="news-box"><ul class="news-list2">
{"".join(items)}
</ul></div></body></html>"""


Page = Union[Article, Album, Homepage, VerifyInfo, Reply]


class WechatSite:
    """Installs mp.weixin.qq.com and weixin.sogou.com on an emulator; `publish` returns the URL."""

    def __init__(self, emulator: Emulator):
        self.emulator = emulator
        self.articles: dict[str, Reply] = {}  # sn -> answer
        self.albums: dict[str, Reply] = {}
        self.homepages: dict[str, Homepage] = {}
        self.verify: dict[str, Reply] = {}
        self.sogou: dict[str, Reply] = {}
        self.sogou_wall_after: Optional[int] = None  # searches Sogou answers before its antispider wall
        self.sogou_searches = 0
        #: Sogou's pace (seconds): a search that arrives sooner than this after the previous one
        #: is walled, and so is every search for `sogou_wall_for` seconds after it. None: no pace.
        self.sogou_patience: Optional[float] = None
        self.sogou_wall_for = 600.0
        self.sogou_walled = 0  # searches answered by the wall
        self._sogou_last: Optional[float] = None
        self._sogou_walled_until = float("-inf")
        self._sogou_lock = threading.Lock()
        emulator.add("https://mp.weixin.qq.com/s",
                     lambda r: self.articles.get(r.query.get("sn", ""), UNKNOWN_LINK))
        emulator.add("https://mp.weixin.qq.com/mp/appmsgalbum",
                     lambda r: self.albums.get(r.query.get("album_id", ""), UNKNOWN_LINK))
        emulator.add("https://mp.weixin.qq.com/mp/homepage", self._homepage)
        emulator.add("https://mp.weixin.qq.com/mp/getverifyinfo",
                     lambda r: self.verify.get(r.query.get("__biz", ""), html_reply(CLIENT_ONLY)))
        emulator.add("https://mp.weixin.qq.com/mp/profile_ext", html_reply(CLIENT_ONLY))
        emulator.add("https://mp.weixin.qq.com/mp/wappoc_appmsgcaptcha", html_reply(CAPTCHA_PAGE))
        emulator.add("https://weixin.sogou.com/weixin", self._sogou)
        emulator.add("https://weixin.sogou.com/antispider/", html_reply(SOGOU_CAPTCHA_PAGE))

    def publish(self, key: str, page: Page) -> str:
        """Serve `page` under `key`; the URL the registry would list for it."""
        if isinstance(page, Album):
            self.albums[key] = html_reply(page.html(key))
            return f"https://mp.weixin.qq.com/mp/appmsgalbum?__biz={BIZ}&action=getalbum&album_id={key}#wechat_redirect"
        if isinstance(page, Homepage):
            self.homepages[key] = page
            return f"https://mp.weixin.qq.com/mp/homepage?__biz={BIZ}&hid={key}&sn=5f0e{key}&scene=18"
        if isinstance(page, VerifyInfo):
            biz = f"Mz{key}=="
            self.verify[biz] = html_reply(page.html())
            return f"https://mp.weixin.qq.com/mp/getverifyinfo?__biz={biz}&type=reg_info"
        reply = html_reply(page.html()) if isinstance(page, Article) else page
        if isinstance(page, Article) and page.short:
            self.emulator.add(f"https://mp.weixin.qq.com/s/{key}", reply)
            return f"https://mp.weixin.qq.com/s/{key}"
        self.articles[key] = reply
        return f"http://mp.weixin.qq.com/s?__biz={BIZ}&mid=2650200001&idx=1&sn={key}&chksm=8f1e#rd"

    def verify_info(self, key: str, reply: Reply) -> str:
        """A verify-info URL answered by `reply` (a wall, say)."""
        self.verify[f"Mz{key}=="] = reply
        return f"https://mp.weixin.qq.com/mp/getverifyinfo?__biz=Mz{key}==&type=reg_info"

    def sogou_results(self, query: str, results: Union[list[SogouAccount], Reply]) -> None:
        self.sogou[query] = results if isinstance(results, Reply) else html_reply(sogou_page(query, results))

    def sogou_captcha(self, query: str) -> None:
        self.sogou[query] = sogou_wall(query)

    def _sogou(self, request: Request) -> Reply:
        """Known queries answer their results, unknown ones Sogou's "nothing found"; past
        `sogou_wall_after` searches every answer is the antispider wall, as Sogou does."""
        query = request.query.get("query", "")
        with self._sogou_lock:
            self.sogou_searches += 1
            walled = self.sogou_wall_after is not None and self.sogou_searches > self.sogou_wall_after
            if self.sogou_patience is not None:
                if self._sogou_last is not None and request.at - self._sogou_last < self.sogou_patience:
                    self._sogou_walled_until = request.at + self.sogou_wall_for
                self._sogou_last = request.at
                walled = walled or request.at < self._sogou_walled_until
            self.sogou_walled += walled
        if walled:
            return sogou_wall(query)
        return self.sogou.get(query) or html_reply(sogou_page(query, []))

    def _homepage(self, request: Request) -> Reply:
        page = self.homepages.get(request.query.get("hid", ""))
        if page is None:
            return UNKNOWN_LINK
        if request.method == "POST":
            return page.listing or json_reply(page.list_document())
        return page.shell or html_reply(HOMEPAGE_SHELL)


def sogou_wall(query: str) -> Reply:
    """Sogou's answer to a client it takes for a robot: off to /antispider/ with where it came from."""
    target = "/weixin?" + urlencode({"type": 1, "query": query})
    return redirect(f"https://weixin.sogou.com/antispider/?{urlencode({'from': target})}")


def captcha_redirect(key: str) -> Reply:
    """What a throttled article link answers: off to the captcha page."""
    return redirect(f"https://mp.weixin.qq.com/mp/wappoc_appmsgcaptcha?poc_token=HB{key}&target_url=https%3A%2F%2F"
                    f"mp.weixin.qq.com%2Fs%3Fsn%3D{key}")


#: What the sites answer for a link they do not know.
UNKNOWN_LINK = html_reply(message_page("参数错误"))
