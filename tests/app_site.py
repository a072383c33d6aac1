"""App stores and download servers as Chromium sees them, shaped like the real ones (platforms.md).

- App Store: ``itunes.apple.com/lookup?id=N&country=cn`` answers ``{"resultCount", "results"}``
  (0 results: not listed in China). It is served as ``text/javascript`` with
  ``Content-Disposition: attachment``, as recalled from the real API (Chrome saves it as
  "1.txt"; unverified here): only an in-page fetch() can read such an answer. App pages
  ``apps.apple.com/cn/app/<slug>/id<N>`` carry JSON-LD ``SoftwareApplication`` (name,
  author.name) and embedded media-API JSON (``script#serialized-server-data``; older pages
  ``script#shoebox-media-api-cache-apps``, whose values are JSON documents kept as strings).
  The nesting of the embedded JSON is invented; only the attribute names (name, artistName)
  are the media API's.
- 应用宝: ``sj.qq.com/appdetail/<package>``, a Next.js page whose ``script#__NEXT_DATA__`` holds
  ``props.pageProps.dynamicCardResponse.data.components[]``; the app's own card has
  ``data.itemData[]`` records ``{name, pkg_name, developer, version_name, update_time,
  download_url, ...}``. That nesting is invented (the real one drifts); a recommendations card
  with the same fields comes *first*, so a parser must match the package, not take the first
  record. A missing app: HTTP 200, title "抱歉，找不到该应用", no app card.
- Huawei AppGallery: ``appgallery.cloud.huawei.com/appdl/C<id>`` answers 302 to the package
  ``<pkg>.<yyMMddHHmm>.apk``. The real target is a CDN on another host (``cross_origin=True``);
  by default the emulated redirect stays on the same host.
- Government download servers: an ``.apk`` answered as
  ``application/vnd.android.package-archive`` or ``application/octet-stream``, starting with
  the ZIP magic ``PK\\x03\\x04``; broken links answer 404, 5xx, reset the connection, or answer
  200 with an HTML "页面不存在" page (a soft 404).
"""

from __future__ import annotations

import hashlib
import json
import struct
from dataclasses import dataclass, field
from datetime import datetime
from typing import Optional, Union
from urllib.parse import quote

from tests.emulator import Emulator, Reply, Request, html_reply, json_reply, redirect

APK_TYPE = "application/vnd.android.package-archive"
HUAWEI_CDN = "appdlc-drcn.hispace.dbankcloud.com"


def fake_apk(size: int) -> bytes:
    """`size` bytes that start like an APK: a ZIP local file header for AndroidManifest.xml."""
    name = b"AndroidManifest.xml"
    # version 2.0, data descriptor + UTF-8 flags, deflate, DOS time and date, sizes in the descriptor
    fields = struct.pack("<HHHHHIIIHH", 20, 0x0808, 8, 0x6D2A, 0x5B4E, 0, 0, 0, len(name), 0)
    header = b"PK\x03\x04" + fields + name
    filler = bytes(range(256)) * (size // 256 + 1)
    return (header + filler)[:size]


def apk_reply(size: int = 3 * 1024 * 1024, content_type: str = APK_TYPE) -> Reply:
    """A package several MB long, so a download read whole would show in the evidence."""
    return Reply(body=fake_apk(size), content_type=content_type)


def as_json(document: object) -> str:
    return json.dumps(document, ensure_ascii=False)


def government_page(title: str, body: str) -> str:
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{title}</title>
<link rel="stylesheet" href="/css/common.css"></head>
<body><div class="header"><img src="/images/logo.png" alt="宝鸡市人民政府"></div>
<div class="main">{body}</div>
<div class="footer">主办：宝鸡市人民政府办公室　网站标识码：6103000001　陕ICP备05001234号</div></body></html>"""


SOFT_404 = html_reply(government_page(
    "页面不存在", '<div class="error-box"><h2>抱歉，您访问的页面不存在</h2><p>可能已被删除或更名。</p>'
                 '<a href="/">返回首页</a></div>'))
LANDING_PAGE = html_reply(government_page(
    "宝鸡政务APP下载", '<h2>宝鸡政务APP</h2><p>扫描二维码下载</p><img src="/app/qrcode.png">'
                       '<a class="btn" href="/app/baojizw.apk">Android 下载</a>'
                       '<a class="btn" href="https://apps.apple.com/cn/app/id6470000001">iPhone 下载</a>'))
BAD_GATEWAY = Reply(status=502, body="<html><head><title>502 Bad Gateway</title></head><body><center>"
                                     "<h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>")
RESET = Reply(drop=True)


@dataclass
class AppStoreApp:
    """One app on the China App Store and how Apple answers for it."""

    app_id: str
    track_name: str = "宝鸡政务"
    artist_name: str = "宝鸡市大数据局"
    seller_name: str = "Baoji Big Data Bureau"
    version: str = "3.2.1"
    released: str = "2026-10-08T07:30:00Z"
    listed: bool = True  # lookup resultCount 1, else 0
    page_data: str = "json-ld"  # where the page keeps name and developer: json-ld | serialized | shoebox | none
    lookup: Optional[Reply] = None  # replaces the lookup's answer
    page: Optional[Reply] = None  # replaces the app page
    slug: str = "宝鸡政务"

    @property
    def url(self) -> str:
        return f"https://apps.apple.com/cn/app/{quote(self.slug)}/id{self.app_id}"

    def lookup_document(self) -> dict:
        if not self.listed:
            return {"resultCount": 0, "results": []}
        return {"resultCount": 1, "results": [self.record()]}

    def record(self) -> dict:
        """The app as the lookup and the search list it."""
        return {
            "isGameCenterEnabled": False, "features": [], "advisories": [], "supportedDevices": ["iPhone12-A"],
            "kind": "software", "artworkUrl512": f"https://is1-ssl.mzstatic.com/image/thumb/{self.app_id}/512.jpg",
            "artistViewUrl": "https://apps.apple.com/cn/developer/id1470000001?uo=4",
            "trackCensoredName": self.track_name, "languageCodesISO2A": ["ZH"], "fileSizeBytes": "98731008",
            "sellerUrl": "https://www.baoji.gov.cn/", "contentAdvisoryRating": "4+",
            "trackViewUrl": f"{self.url}?uo=4", "trackContentRating": "4+", "minimumOsVersion": "12.0",
            "currentVersionReleaseDate": self.released, "releaseNotes": "1. 优化“秦务员”办事入口\n2. 修复已知问题",
            "artistId": 1470000001, "artistName": self.artist_name, "genres": ["工具", "生活"], "price": 0.00,
            "description": "宝鸡市政务服务移动端，提供办事指南、在线办理与政策查询。",
            "bundleId": "cn.gov.baoji.zwapp", "trackId": int(self.app_id), "trackName": self.track_name,
            "sellerName": self.seller_name, "primaryGenreName": "Utilities", "primaryGenreId": 6002,
            "genreIds": ["6002", "6012"], "isVppDeviceBasedLicensingEnabled": True,
            "releaseDate": "2019-05-20T07:00:00Z", "currency": "CNY", "version": self.version,
            "wrapperType": "software", "userRatingCount": 312, "averageUserRating": 3.9,
        }

    def lookup_reply(self) -> Reply:
        if self.lookup is not None:
            return self.lookup
        return Reply(body=as_json(self.lookup_document()).encode(),
                     content_type="text/javascript; charset=utf-8",
                     headers={"Content-Disposition": "attachment; filename=1.txt"})

    def media_api_document(self) -> dict:
        return {"data": [{"id": self.app_id, "type": "apps", "href": f"/v1/catalog/cn/apps/{self.app_id}",
                          "attributes": {"name": self.track_name, "artistName": self.artist_name,
                                         "url": self.url, "isFirstPartyHideableApp": False,
                                         "platformAttributes": {"ios": {
                                             "bundleId": "cn.gov.baoji.zwapp",
                                             "versionHistory": [{"versionDisplay": self.version,
                                                                 "releaseDate": self.released[:10]}]}}}}]}

    def page_scripts(self) -> str:
        """Where the page keeps name and developer."""
        if self.page_data == "json-ld":
            ld = {"@context": "http://schema.org", "@type": "SoftwareApplication", "name": self.track_name,
                  "description": "宝鸡市政务服务移动端", "screenshot": [], "applicationCategory": "Utilities",
                  "datePublished": "2019-05-20", "operatingSystem": "需要 iOS 12.0 或更高版本。",
                  "author": {"@type": "Person", "name": self.artist_name,
                             "url": "https://apps.apple.com/cn/developer/id1470000001"},
                  "offers": {"@type": "Offer", "price": 0, "priceCurrency": "CNY", "category": "free"}}
            return f'<script name="schema:software-application" type="application/ld+json">{as_json(ld)}</script>'
        if self.page_data == "serialized":
            lockup = self.media_api_document()["data"][0]
            data = {"data": [{"intent": {"$kind": "AppDetailPageIntent", "id": self.app_id, "storefront": "cn"},
                              "data": {"pageMetrics": {}, "shelfMapping": {}, "lockup": lockup}}]}
            return f'<script type="application/json" id="serialized-server-data">{as_json(data)}</script>'
        if self.page_data == "shoebox":
            key = f"https://amp-api.apps.apple.com/v1/catalog/cn/apps/{self.app_id}?platform=web&l=zh-Hans-CN"
            cache = {key: as_json(self.media_api_document())}
            return f'<script type="fastboot/shoebox" id="shoebox-media-api-cache-apps">{as_json(cache)}</script>'
        return ""

    def page_html(self) -> str:
        return f"""<!DOCTYPE html>
<html dir="ltr" lang="zh-Hans-CN"><head><meta charset="utf-8">
<title>App Store 上的“{self.track_name}”</title>
<meta property="og:title" content="{self.track_name}">
<link rel="canonical" href="{self.url}">
{self.page_scripts()}
</head>
<body class="no-js"><main><h1 class="product-header__title app-header__title">{self.track_name}
<span class="badge badge--product-title">4+</span></h1>
<h2 class="product-header__identity app-header__identity">
<a class="link" href="https://apps.apple.com/cn/developer/id1470000001">{self.artist_name}</a></h2>
</main></body></html>"""


@dataclass
class YybApp:
    """One app on 应用宝 (sj.qq.com)."""

    package: str
    name: str = "宝鸡政务"
    developer: str = "宝鸡市大数据局"
    version: str = "3.2.1"
    listed: bool = True
    download: Optional[Reply] = field(default_factory=apk_reply)  # None: the record has no download_url

    @property
    def url(self) -> str:
        return f"https://sj.qq.com/appdetail/{self.package}"

    @property
    def download_url(self) -> str:
        digest = hashlib.md5(self.package.encode()).hexdigest().upper()
        return (f"https://imtt2.dd.qq.com/sjy.00009/sjy.00004/16891/apk/{digest}.apk"
                f"?fsname={self.package}_{self.version}.apk")

    def record(self, name: str, package: str, developer: str, download_url: str) -> dict:
        return {"appId": int(hashlib.md5(package.encode()).hexdigest()[:8], 16), "name": name,
                "pkg_name": package, "developer": developer, "version_name": self.version, "version_code": "321",
                "update_time": 1791450600, "apk_size": "48211234", "download_url": download_url,
                "icon": f"https://pp.myapp.com/ma_icon/0/icon_{package}.png", "tags": "政务,办事",
                "description": "宝鸡市政务服务移动端"}

    def next_data(self) -> dict:
        components = [{"cardId": "yybn_related_recommend", "data": {"name": "相关推荐", "itemData": [
            self.record("西安政务", "cn.gov.xa.zwapp", "西安市数据局", "https://imtt2.dd.qq.com/sjy.00009/xa.apk"),
        ]}}]
        if self.listed:
            record = self.record(self.name, self.package, self.developer,
                                 self.download_url if self.download is not None else "")
            components.append({"cardId": "yybn_game_basic_info", "data": {"name": "", "itemData": [record]}})
        title = f"{self.name}app下载-{self.name}官方正版下载-应用宝官网" if self.listed else "抱歉，找不到该应用-应用宝官网"
        return {"props": {"pageProps": {"dynamicCardResponse": {"ret": 0, "data": {"components": components}},
                                        "seoMeta": {"title": title}}, "__N_SSP": True},
                "page": "/appdetail/[pkgName]", "query": {"pkgName": self.package},
                "buildId": "yyb-pc-20261102", "isFallback": False, "gssp": True, "scriptLoader": []}

    def page_html(self) -> str:
        document = self.next_data()
        title = document["props"]["pageProps"]["seoMeta"]["title"]
        return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width,initial-scale=1"></head>
<body><div id="__next"><div class="app-detail">{self.name if self.listed else "抱歉，找不到该应用"}</div></div>
<script id="__NEXT_DATA__" type="application/json">{as_json(document)}</script>
<script src="/_next/static/chunks/main-5f1b.js" defer></script></body></html>"""


@dataclass
class HuaweiApp:
    """One app on Huawei AppGallery: its download redirects to the dated package."""

    app_id: str  # C + digits
    package: str = "cn.gov.baoji.zwapp"
    built: datetime = datetime(2026, 10, 8, 15, 30)  # Beijing time, as the file name writes it
    download: Optional[Reply] = None  # replaces the redirect (a removed app: 404)
    cross_origin: bool = False  # redirect to the CDN host, as the real store does

    @property
    def url(self) -> str:
        return f"https://appgallery.huawei.com/app/{self.app_id}"

    @property
    def package_url(self) -> str:
        host = HUAWEI_CDN if self.cross_origin else "appgallery.cloud.huawei.com"
        digest = hashlib.md5(self.app_id.encode()).hexdigest()
        return (f"https://{host}/dl/appdl/application/apk/{digest[:2]}/{digest}/"
                f"{self.package}.{self.built:%y%m%d%H%M}.apk?maple=0&distOpEntity=HWSW")


@dataclass
class Download:
    """A download link on some server (often the government's own site)."""

    url: str
    reply: Reply


Store = Union[AppStoreApp, YybApp, HuaweiApp, Download]


def attachment(document: dict) -> Reply:
    """An iTunes API answer: JavaScript-typed JSON sent as a file, as the lookup is."""
    return Reply(body=as_json(document).encode(), content_type="text/javascript; charset=utf-8",
                 headers={"Content-Disposition": "attachment; filename=1.txt"})


class AppSite:
    """Installs the stores and download servers on an emulator.

    The App Store search (``itunes.apple.com/search?term=..&country=cn&entity=software``)
    answers like the lookup, ``{"resultCount", "results"}`` with the same records, in the
    order `search` gives; a term not configured finds nothing.
    """

    def __init__(self, emulator: Emulator):
        self.emulator = emulator
        self.app_store: dict[str, AppStoreApp] = {}
        self.searches: dict[str, Union[list[AppStoreApp], Reply]] = {}
        emulator.add("https://itunes.apple.com/lookup", self._lookup)
        emulator.add("https://itunes.apple.com/search", self._search)

    def search(self, term: str, found: Union[list[AppStoreApp], Reply]) -> None:
        self.searches[term] = found

    def _search(self, request: Request) -> Reply:
        if request.query.get("country") != "cn" or request.query.get("entity") != "software":
            return json_reply({"errorMessage": "Invalid value(s) for key(s): [country, entity]"}, status=400)
        found = self.searches.get(request.query.get("term", ""), [])
        if isinstance(found, Reply):
            return found
        records = [app.record() for app in found]
        return attachment({"resultCount": len(records), "results": records})

    def add(self, store: Store) -> Store:
        if isinstance(store, AppStoreApp):
            self.app_store[store.app_id] = store
            self.emulator.add(store.url, store.page or html_reply(store.page_html()))
        elif isinstance(store, YybApp):
            self.emulator.add(store.url, html_reply(store.page_html()))
            if store.download is not None:
                self.emulator.add(store.download_url, store.download)
        elif isinstance(store, HuaweiApp):
            self.emulator.add(f"https://appgallery.cloud.huawei.com/appdl/{store.app_id}",
                              store.download or redirect(store.package_url))
            self.emulator.add(store.package_url, apk_reply())
        else:
            self.emulator.add(store.url, store.reply)
        return store

    def _lookup(self, request: Request) -> Reply:
        app = self.app_store.get(request.query.get("id", ""))
        return app.lookup_reply() if app else json_reply({"resultCount": 0, "results": []})
