"""Mobile apps (移动客户端): store listings and download links, read through Chromium (platforms.md).

Every URL the registry files for an app is a store link: an App Store page, an 应用宝 page, a
Huawei AppGallery page or download, or a direct download (often an ``.apk`` on the government's
own site). The app is available only if every link works; each failing link gets its own
signal naming the link and why. Name and developer (认证主体) come from the first store listing
that shows them. Apps have no public posts, so updates are not checked.

A row may name the app without any link: its App Store id (``ids.appstore_id``, read like an
App Store link) or Android package (``ids.package``, read on 应用宝 like an 应用宝 link), or
only its name. An app filed by name alone is looked for with the App Store search
(``itunes.apple.com/search?term=<name>&country=cn&entity=software``, answered like the lookup:
``resultCount`` and ``results[]`` with ``trackName``, ``artistName``, ``sellerName``,
``trackId``...). Only an app whose name is the filed name and whose developer is the owner
unit (or the filed 认证主体) is taken, never the first result; a search that finds no such app
is 待复核 with the candidates named, never 客户端无法下载: not finding an app proves nothing
about whether it can be downloaded.

Download links are followed like a click (``fetch.download``), redirects to other hosts
included (AppGallery's CDN, http to https); the download Chromium starts is cancelled and only
``DOWNLOAD_PEEK`` bytes of the final URL are read: enough to see the ZIP magic every APK
starts with, never the whole file.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Iterator, Optional
from urllib.parse import parse_qs, urlencode, urlsplit

from ..browser import Fetched
from ..dates import BEIJING
from ..models import Account, Observation
from .base import Fetch, network_problem, rate_limited, record_source
from .interaction import SOFT_404_TITLES
from ..html import Document
from ..rules import normalise
from .base import decode_html

LOOKUP = "https://itunes.apple.com/lookup"
SEARCH = "https://itunes.apple.com/search"
#: What may follow the filed name in a store title ("宝鸡政务-秦务员", "宝鸡政务（新版）"),
#: after NFKC: a subtitle, never a longer name ("宝鸡政务通" is another app).
TITLE_SEPARATORS = ("-", "—", "–", ":", "|", "·", "(", "[", "【", "_", "/")
#: How many search results a 待复核 message names.
SHOWN_RESULTS = 8
APPLE_HOSTS = {"apps.apple.com", "itunes.apple.com"}
YYB_HOST = "sj.qq.com"
HUAWEI_HOSTS = {"appgallery.huawei.com", "appgallery.cloud.huawei.com"}
HUAWEI_DOWNLOAD_HOST = "appgallery.cloud.huawei.com"
HUAWEI_DOWNLOAD = f"https://{HUAWEI_DOWNLOAD_HOST}/appdl/{{}}"
#: Enough of a download to see what it is: the first bytes, never the whole file.
DOWNLOAD_PEEK = 64 * 1024
ZIP_MAGIC = b"PK\x03\x04"  # every APK is a ZIP archive
#: Soft 404s inside a page's text (the title markers are interaction.SOFT_404_TITLES).
NOT_FOUND_TEXT = ("页面不存在", "文件不存在", "页面未找到")
#: Older App Store pages keep their data in the shoebox cache; newer ones in serialized-server-data.
APPLE_EMBEDDED_JSON = ("script#serialized-server-data", "script#shoebox-media-api-cache-apps")
#: The file AppGallery's download redirects to: <package>.<yyMMddHHmm>.apk.
_APK_STAMP = re.compile(r"\.(\d{10})\.apk$", re.IGNORECASE)
_APPLE_ID = re.compile(r"/id(\d+)")
_YYB_PACKAGE = re.compile(r"^/appdetail/([\w.]+)")
_HUAWEI_ID = re.compile(r"\b(C\d+)\b")

STORE_LABELS = {"appstore": "App Store", "yyb": "应用宝", "huawei": "华为应用市场", "download": "下载链接"}
SIGNAL_CODES = {"unavailable": "app-unavailable", "unreachable": "unreachable", "blocked": "blocked",
                "unparsed": "unparsed", "not-found": "not-found"}


@dataclass(frozen=True)
class StoreLink:
    """One filed URL, classified by its shape."""

    store: str  # appstore | yyb | huawei | download
    url: str  # as filed
    key: str  # App Store id, 应用宝 package, AppGallery C-id; the URL itself for a download; "" unreadable


@dataclass(frozen=True)
class Listing:
    """What a store page shows of the app."""

    name: str
    developer: Optional[str]  # None: the store shows none
    download_url: str = ""


@dataclass(frozen=True)
class Outcome:
    """What one answer means: ok, or why not in words for staff. Kinds other than ok are
    SourceRecord outcomes (not-found: a search that listed others, recorded ok), signalled
    as SIGNAL_CODES says."""

    kind: str = "ok"
    message: str = ""
    listing: Optional[Listing] = None


def classify_link(url: str) -> StoreLink:
    """Which store a filed URL belongs to; anything unrecognised is treated as a download link."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host in APPLE_HOSTS:
        found = _APPLE_ID.search(parts.path)
        key = found.group(1) if found else (parse_qs(parts.query).get("id") or [""])[0]
        return StoreLink("appstore", url, key if key.isdigit() else "")
    if host == YYB_HOST:
        found = _YYB_PACKAGE.match(parts.path)
        return StoreLink("yyb", url, found.group(1) if found else "")
    if host in HUAWEI_HOSTS:
        found = _HUAWEI_ID.search(f"{parts.path}#{parts.fragment}")  # old pages: /#/app/C123
        return StoreLink("huawei", url, found.group(1) if found else "")
    return StoreLink("download", url, url)


def apk_release_time(url: str) -> Optional[datetime]:
    """The build time AppGallery writes into its download's file name (<pkg>.<yyMMddHHmm>.apk),
    taken as Beijing time; None when the name carries no such stamp."""
    found = _APK_STAMP.search(urlsplit(url).path)
    if not found:
        return None
    try:
        return datetime.strptime(found.group(1), "%y%m%d%H%M").replace(tzinfo=BEIJING)
    except ValueError:
        return None


def developer_label(artist: str, seller: str) -> str:
    """The App Store developer as staff compare it with the filed 认证主体: the developer name
    (artistName, usually Chinese), with the legal seller name (sellerName, often English) after
    it when it differs, so a filed name in either form is found in it."""
    artist, seller = artist.strip(), seller.strip()
    if not artist or not seller or "".join(artist.split()) == "".join(seller.split()):
        return artist or seller
    return f"{artist}（{seller}）"


def _text(value: Any) -> Optional[str]:
    """A JSON value as text, None when empty or absent."""
    return str(value).strip() or None if value is not None else None


def _load_json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def iter_dicts(value: Any) -> Iterator[dict[str, Any]]:
    """Every object in a JSON document, depth first; JSON kept as strings (the App Store's
    shoebox cache stores documents that way) is opened too."""
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from iter_dicts(item)
    elif isinstance(value, list):
        for item in value:
            yield from iter_dicts(item)
    elif isinstance(value, str) and value[:1] in ("{", "["):
        yield from iter_dicts(_load_json(value))


def first_record(document: Document, css: str,
                 wanted: Callable[[dict[str, Any]], bool]) -> Optional[dict[str, Any]]:
    """The first object in the JSON of the scripts matching `css` that `wanted` accepts."""
    for script in document.select(css):
        for record in iter_dicts(_load_json(script)):
            if wanted(record):
                return record
    return None


def read_lookup(fetched: Fetched) -> Outcome:
    """The iTunes lookup answer: the listing, `unavailable` for resultCount 0, else why it failed
    (kind `unreachable` or `unparsed`: the caller falls back to the app page)."""
    if problem := network_problem(fetched):
        return Outcome("unreachable", problem)
    document = fetched.json()
    if not isinstance(document, dict) or not isinstance(document.get("resultCount"), int):
        kind = fetched.content_type or "无类型"
        return Outcome("unparsed", f"返回的不是查询结果（HTTP {fetched.status}，{kind}）：{fetched.url}")
    if document["resultCount"] == 0:
        return Outcome("unavailable")
    result = next(iter(document.get("results") or []), None)
    if not isinstance(result, dict) or not result.get("trackName"):
        return Outcome("unparsed", "查询结果中没有应用名称（trackName）")
    developer = developer_label(str(result.get("artistName") or ""), str(result.get("sellerName") or ""))
    return Outcome(listing=Listing(str(result["trackName"]), _text(developer)))


def read_app_store_page(document: Document) -> Optional[Listing]:
    """Name and developer from an App Store page: JSON-LD SoftwareApplication, else embedded JSON."""
    app = first_record(document, 'script[type="application/ld+json"]',
                       lambda item: item.get("@type") == "SoftwareApplication" and bool(item.get("name")))
    if app is not None:
        author = app.get("author")
        return Listing(str(app["name"]), _text(author.get("name")) if isinstance(author, dict) else None)
    for css in APPLE_EMBEDDED_JSON:
        # The media API's app attributes: {"name": .., "artistName": .., ...}
        attributes = first_record(document, css, lambda item: bool(item.get("name") and item.get("artistName")))
        if attributes is not None:
            return Listing(str(attributes["name"]), _text(attributes["artistName"]))
    return None


def read_yyb_page(document: Document, package: str) -> Optional[Listing]:
    """The app's record in 应用宝's __NEXT_DATA__: the object whose pkg_name is the package
    (pages also list recommended apps with the same fields)."""
    record = first_record(document, "script#__NEXT_DATA__",
                          lambda item: item.get("pkg_name") == package and bool(item.get("name")))
    if record is None:
        return None
    return Listing(str(record["name"]), _text(record.get("developer")), _text(record.get("download_url")) or "")


#: Statuses that say the file itself is not there (not that this visitor was refused).
GONE_STATUSES = frozenset({404, 410})


def page_problem(fetched: Fetched, document: Document, what: str, unlisted: str) -> Optional[Outcome]:
    """Why a store page shows no listing, before anything is parsed; None when it may have one.
    `unlisted` is what a missing page means ("应用宝未上架")."""
    if limited := rate_limited(fetched):
        return Outcome("blocked", f"{what}{limited}")
    if problem := network_problem(fetched):
        return Outcome("unreachable", f"{what}{problem}")
    status = fetched.status or 0
    if status in GONE_STATUSES:
        return Outcome("unavailable", f"{unlisted}：页面不存在（HTTP {status}）：{fetched.url}")
    if status >= 400:
        return Outcome("blocked", f"{what}拒绝访问（HTTP {status}）：{fetched.url}")
    title = document.title
    if any(marker in title for marker in SOFT_404_TITLES):
        return Outcome("unavailable", f"{unlisted}：页面提示“{title}”：{fetched.url}")
    return None


def read_download(fetched: Fetched, what: str, expect_file: bool) -> Outcome:
    """Does a download link deliver an installable package? Judged on the first bytes.

    A ZIP archive is a package. A web page is a soft 404 when a file was expected (an ``.apk``
    URL, a store's download) or the page says it is missing; otherwise it may be a landing page
    with a download button, which staff must look at: `unparsed`, never a failure.
    """
    if limited := rate_limited(fetched):  # a rate limit proves nothing about the download
        return Outcome("blocked", f"{what}{limited}")
    if problem := network_problem(fetched):
        return Outcome("unreachable", f"{what}{problem}")
    status, url = fetched.status or 0, fetched.url
    if status in GONE_STATUSES:
        return Outcome("unavailable", f"{what}无法下载（HTTP {status}）：{url}")
    if status >= 400:
        # 401/403/407...: the server refused this visitor (a firewall, a proxy), which says
        # nothing of whether the app can be downloaded.
        return Outcome("blocked", f"{what}拒绝访问（HTTP {status}），不能据此认定无法下载，需人工核查：{url}")
    if fetched.body.startswith(ZIP_MAGIC):
        return Outcome()
    if "html" in fetched.content_type.lower() or fetched.body.lstrip()[:1] == b"<":
        document = Document(decode_html(fetched))
        title = document.title or "无标题"
        missing = any(marker in document.title for marker in SOFT_404_TITLES) or any(
            marker in document.source for marker in NOT_FOUND_TEXT)
        if expect_file or missing:
            return Outcome("unavailable", f"{what}无法下载：返回网页“{title}”而不是安装包（HTTP {status}）：{url}")
        return Outcome("unparsed", f"{what}打开的是网页“{title}”而不是安装包，需人工核查能否下载：{url}")
    if not fetched.body:
        return Outcome("unavailable", f"{what}无法下载：返回空文件（HTTP {status}）：{url}")
    return Outcome("unparsed", f"{what}返回的不是安装包（{fetched.content_type or '无类型'}，"
                               f"开头字节 {fetched.body[:8].hex(' ')}），需人工核查：{url}")


def identify(observation: Observation, listing: Listing, source_url: str) -> None:
    """Name and developer from the first store listing; a developer it does not show stays
    None (not seen), never "" (not certified)."""
    if observation.name is None:
        observation.name = listing.name
        observation.name_source = source_url
        observation.certification = listing.developer


def settle(observation: Observation, fetched: Fetched, kind: str, outcome: Outcome) -> bool:
    """Record the source; True when it is usable, else signal why, with its evidence."""
    if outcome.kind == "ok":
        record_source(observation, fetched, kind)
        return True
    # A search that lists other apps answered well: the page is fine, the app is not among them.
    record_source(observation, fetched, kind, "ok" if outcome.kind == "not-found" else outcome.kind)
    observation.add_signal(SIGNAL_CODES[outcome.kind], outcome.message, fetched.evidence)
    return False


def store_links(account: Account) -> list[StoreLink]:
    """Every store link the row gives: its ids first (an App Store id is read like an App
    Store link, a package like an 应用宝 page), then its URLs; one listing is one link, while
    unreadable URLs stay apart, each to be named."""
    links: list[StoreLink] = []
    if account.ids.appstore_id:
        key = account.ids.appstore_id
        links.append(StoreLink("appstore", f"https://apps.apple.com/cn/app/id{key}", key))
    if account.ids.package:
        key = account.ids.package
        links.append(StoreLink("yyb", f"https://{YYB_HOST}/appdetail/{key}", key))
    links += map(classify_link, account.urls)
    return list({(link.store, link.key or link.url): link for link in links}.values())


def search_url(name: str) -> str:
    return f"{SEARCH}?{urlencode({'term': name, 'country': 'cn', 'entity': 'software'})}"


def title_matches(track_name: str, filed_name: str) -> bool:
    """The store's title is the filed name, or the filed name followed by a subtitle."""
    title, name = normalise(track_name), normalise(filed_name)
    if not name:
        return False
    return title == name or (title.startswith(name) and title[len(name)] in TITLE_SEPARATORS)


def developer_matches(result: dict[str, Any], units: list[str]) -> bool:
    """The developer (artistName or sellerName) and a unit (owner, filed 认证主体) contain one
    another, normalised: "宝鸡市渭滨区人民政府" publishes for "宝鸡市渭滨区人民政府办公室"."""
    developers = [normalise(str(result.get(key) or "")) for key in ("artistName", "sellerName")]
    wanted = [normalise(unit) for unit in units if unit]
    return any(len(d) >= 2 and len(u) >= 2 and (d in u or u in d) for d in developers for u in wanted)


def result_label(result: dict[str, Any]) -> str:
    """A search result as staff read it: 宝鸡政务（宝鸡市大数据局）."""
    developer = str(result.get("artistName") or result.get("sellerName") or "开发者未知")
    return f"{result.get('trackName')}（{developer}）"


def read_search(fetched: Fetched, account: Account) -> tuple[Outcome, Optional[dict[str, Any]]]:
    """The App Store search answer: the one result that is the filed app, else why not (kinds
    unreachable or unparsed, both 待复核: a search that does not find an app is no proof that it
    cannot be downloaded)."""
    if problem := network_problem(fetched):
        return Outcome("unreachable", f"App Store 搜索{problem}"), None
    document = fetched.json()
    if not isinstance(document, dict) or not isinstance(document.get("results"), list):
        kind = fetched.content_type or "无类型"
        return Outcome("unparsed", f"App Store 搜索返回的不是搜索结果（HTTP {fetched.status}，{kind}）：{fetched.url}"), None
    results = list({str(r["trackId"]): r for r in document["results"]
                    if isinstance(r, dict) and r.get("trackName") and r.get("trackId")}.values())
    units = [account.owner, account.certified_as or ""]
    found = [r for r in results if title_matches(str(r["trackName"]), account.name) and developer_matches(r, units)]
    searched = f"在 App Store 中国区按名称“{account.name}”搜索应用"
    if len(found) == 1:
        return Outcome(), found[0]
    if found:
        names = "、".join(result_label(r) for r in found[:SHOWN_RESULTS])
        return Outcome("not-found", f"{searched}，有{len(found)}个名称和开发者都相符的应用：{names}，需人工核查是哪一个"), None
    if not results:
        return Outcome("not-found", f"{searched}无结果，需人工核查（搜索不到不能证明无法下载）"), None
    names = "、".join(result_label(r) for r in results[:SHOWN_RESULTS])
    more = f"等{len(results)}个" if len(results) > SHOWN_RESULTS else ""
    owner = f"主办单位“{account.owner}”" + (f"或认证主体“{account.certified_as}”" if account.certified_as else "")
    return Outcome("not-found", f"{searched}，未找到名称相符且开发者与{owner}一致的应用；"
                               f"搜索结果：{names}{more}，需人工核查（搜索不到不能证明无法下载）"), None


class AppAdapter:
    platform = "app"
    sources = ("App Store 查询接口与页面、应用宝、华为应用市场下载、直接下载链接（只读开头字节）；"
               "只报备名称时用 App Store 搜索（名称、开发者须与报备相符）")
    checks = ("availability", "name", "certification")
    #: The app's posts and its in-app interaction are not public.
    unchecked = ("update", "interaction")

    def hosts(self, account: Account) -> list[str]:
        hosts: list[str] = []
        links = store_links(account)
        for link in links:
            if link.store == "appstore":
                hosts += ["itunes.apple.com", "apps.apple.com"]
            elif link.store == "huawei":
                hosts.append(HUAWEI_DOWNLOAD_HOST)
            else:
                hosts.append(urlsplit(link.url).hostname or "")
        if not links:
            hosts.append(urlsplit(SEARCH).hostname or "")  # filed by name: the App Store search
        return list(dict.fromkeys(hosts))

    async def observe(self, account: Account, observation: Observation, fetch: Fetch) -> None:
        links = store_links(account)
        if not links:
            await self._search(account, observation, fetch)
            return
        checkers = {"appstore": self._app_store, "yyb": self._yyb, "huawei": self._huawei,
                    "download": self._direct}
        for link in links:
            if not link.key:
                observation.add_signal(
                    "unparsed", f"无法从报备链接中识别{STORE_LABELS[link.store]}的应用编号：{link.url}")
                continue
            await checkers[link.store](link, observation, fetch)
        if not any(link.store in ("appstore", "yyb") for link in links):
            # Download links show no name or developer: nothing to compare with the registry.
            observation.checks = [c for c in observation.checks if c not in ("name", "certification")]

    async def _search(self, account: Account, observation: Observation, fetch: Fetch) -> None:
        """An app filed by name alone: found in the App Store search, it is listed in China
        (the search answers from the same catalogue as the lookup, with the same record)."""
        fetched = await fetch.request(search_url(account.name), "appstore-search")
        outcome, result = read_search(fetched, account)
        if result is None:
            settle(observation, fetched, "appstore-search", outcome)
            return
        developer = developer_label(str(result.get("artistName") or ""), str(result.get("sellerName") or ""))
        listing = Listing(str(result["trackName"]), _text(developer))
        settle(observation, fetched, "appstore-search", Outcome(listing=listing))
        identify(observation, listing, fetched.url)
        observation.identified_by = (
            f"由应用名称“{account.name}”在 App Store 中国区搜索找到：{result_label(result)}，"
            f"App Store ID {result['trackId']}（{result.get('trackViewUrl') or '无链接'}）")

    async def _app_store(self, link: StoreLink, observation: Observation, fetch: Fetch) -> None:
        # An in-page request, not a navigation: Chrome may take the lookup's answer for a file
        # download (Content-Disposition: attachment), which a navigation cannot read.
        lookup = await fetch.request(f"{LOOKUP}?{urlencode({'id': link.key, 'country': 'cn'})}", "appstore-lookup")
        outcome = read_lookup(lookup)
        if outcome.kind == "ok":
            settle(observation, lookup, "appstore-lookup", outcome)
            identify(observation, outcome.listing, lookup.url)
        elif outcome.kind == "unavailable":
            settle(observation, lookup, "appstore-lookup", Outcome(
                "unavailable", f"App Store 中国区未上架：按应用编号 id{link.key} 查询无结果：{link.url}"))
        else:
            record_source(observation, lookup, "appstore-lookup", outcome.kind)
            await self._app_store_page(link, outcome.message, observation, fetch)

    async def _app_store_page(self, link: StoreLink, lookup_failure: str, observation: Observation,
                              fetch: Fetch) -> None:
        """The app's page, when the lookup could not be used."""
        host = (urlsplit(link.url).hostname or "").lower()
        url = link.url if host == "apps.apple.com" else f"https://apps.apple.com/cn/app/id{link.key}"
        page = await fetch(url, "appstore-page")
        document = Document(decode_html(page))
        outcome = page_problem(page, document, "App Store 应用页面", "App Store 中国区未上架")
        if outcome is None:
            listing = read_app_store_page(document)
            outcome = Outcome(listing=listing) if listing else Outcome(
                "unparsed", f"App Store 应用页面中未找到应用名称和开发者（JSON-LD 或内嵌数据）：{url}")
        if outcome.kind != "ok":
            outcome = Outcome(outcome.kind, f"{outcome.message}；此前查询接口也未能使用：{lookup_failure}")
        if settle(observation, page, "appstore-page", outcome):
            identify(observation, outcome.listing, page.url)

    async def _yyb(self, link: StoreLink, observation: Observation, fetch: Fetch) -> None:
        page = await fetch(link.url, "yyb-page")
        document = Document(decode_html(page))
        outcome = page_problem(page, document, "应用宝页面", "应用宝未上架")
        if outcome is None:
            listing = read_yyb_page(document, link.key)
            outcome = Outcome(listing=listing) if listing else Outcome(
                "unparsed", f"应用宝页面中未找到该应用（{link.key}）的信息（__NEXT_DATA__）：{link.url}")
        if not settle(observation, page, "yyb-page", outcome):
            return
        identify(observation, outcome.listing, page.url)
        if outcome.listing.download_url:
            await self._download(outcome.listing.download_url, "应用宝下载链接", True, "yyb-download",
                                 observation, fetch)

    async def _huawei(self, link: StoreLink, observation: Observation, fetch: Fetch) -> None:
        # AppGallery's pages are rendered by script; its download answers 302 to the dated package.
        await self._download(HUAWEI_DOWNLOAD.format(link.key), "华为应用市场下载链接", True, "huawei-download",
                             observation, fetch)

    async def _direct(self, link: StoreLink, observation: Observation, fetch: Fetch) -> None:
        expect_file = urlsplit(link.url).path.lower().endswith(".apk")
        await self._download(link.url, "下载链接", expect_file, "download", observation, fetch)

    async def _download(self, url: str, what: str, expect_file: bool, kind: str, observation: Observation,
                        fetch: Fetch) -> None:
        fetched = await fetch.download(url, kind, max_bytes=DOWNLOAD_PEEK)
        settle(observation, fetched, kind, read_download(fetched, what, expect_file))
