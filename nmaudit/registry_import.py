"""Turn a spreadsheet exported from 全国政务新媒体信息报送系统 into a registry (accounts.yaml).

Exports differ from office to office, so columns are found by their usual Chinese headers
(账号名称, 类型/平台, 主办单位, 认证主体, 地区, 账号ID/微信号/链接/下载地址, 运行状态), also under a
two-row header with merged cells. Nothing is invented: a row that lacks a name, a platform,
an owner or a public address is reported with its row number and left out; the account
URL is derived only where the platform has a public page for an ID (a Weibo UID, an App
Store id, an Android package on 应用宝).

Accounts whose 运行状态 is 关停/注销 are left out of the audit with a warning; with
``keep_closed`` they are listed with a ``# 运行状态: 关停`` comment that ``registry lint`` flags.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import itertools
import os
import re
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Optional

import yaml

from .errors import RegistryError
from .models import IDENTITY_KEYS, IDENTITY_LABELS, Account
from .registry import ID_FORMS, _is_http_url, load_registry_text
from .snapshots import _UMASK
from .workbook import read_workbook_sheet

#: Header words per registry field, normalised (see ``_key``). A cell may hold several,
#: split on / 、 | ("账号ID/微信号"); parenthesised notes are ignored ("链接（主页）").
HEADERS: dict[str, tuple[str, ...]] = {
    "name": ("账号名称", "名称", "账号名", "政务新媒体名称", "新媒体名称", "客户端名称", "应用名称"),
    "platform": ("类型", "平台", "账号类型", "平台类型", "新媒体类型", "媒体类型", "类别", "所属平台", "平台名称"),
    "owner": ("主办单位", "开办单位", "开办主体", "主办主体", "主体单位"),
    "certified_as": ("认证主体", "认证单位", "认证信息", "认证名称"),
    "region": ("地区", "所属地区", "行政区划", "区域", "区县", "所属区县", "地区/部门"),
    "account_id": ("账号id", "id", "uid", "微博uid", "微博id", "微信号", "原始id", "应用id", "appid", "appstoreid",
                   "包名", "安卓包名", "应用包名", "账号", "个性域名", "抖音号", "头条号", "快手号", "视频号", "小红书号",
                   "百家号", "网易号", "b站id", "哔哩哔哩id", "bilibiliid", "mid"),
    "url": ("链接", "网址", "url", "主页地址", "主页链接", "账号链接", "访问地址", "下载地址", "首页地址", "地址"),
    "interaction": ("互动地址", "互动入口", "留言地址", "互动功能地址"),
    "status": ("运行状态", "状态", "账号状态"),
}
#: Headers that say what kind of id a column holds (normalised); other id columns are read by form.
ID_HEADERS: dict[str, str] = {
    "微信号": "wechat_id", "原始id": "gh_id", "uid": "uid", "微博uid": "uid", "微博id": "uid", "个性域名": "domain",
    "appstoreid": "appstore_id", "包名": "package", "安卓包名": "package", "应用包名": "package", "抖音号": "douyin",
    "头条号": "toutiao", "快手号": "kuaishou", "视频号": "channels", "小红书号": "xiaohongshu", "百家号": "baijiahao",
    "网易号": "netease", "b站id": "bilibili", "哔哩哔哩id": "bilibili", "bilibiliid": "bilibili", "mid": "bilibili",
}
#: Platform words of the sites of platform web (抖音, 头条号...), normalised.
SITE_WORDS: dict[str, str] = {
    **dict.fromkeys(("抖音", "抖音号", "douyin"), "douyin"),
    **dict.fromkeys(("今日头条", "头条", "头条号", "toutiao"), "toutiao"),
    **dict.fromkeys(("快手", "快手号", "kuaishou"), "kuaishou"),
    **dict.fromkeys(("小红书", "xiaohongshu"), "xiaohongshu"),
    **dict.fromkeys(("视频号", "微信视频号"), "channels"),
    **dict.fromkeys(("百家号",), "baijiahao"),
    **dict.fromkeys(("哔哩哔哩", "b站", "bilibili"), "bilibili"),
    **dict.fromkeys(("网易号",), "netease"),
}
#: Row numbering, not data.
IGNORED_HEADERS = ("序号", "编号")
#: Fields a row cannot do without, and how staff call them.
REQUIRED = {"name": "账号名称", "platform": "类型/平台", "owner": "主办单位"}
#: Fields that may come from several columns (a 微博UID and a 微信号 column, 链接 and 下载地址).
MULTI = ("account_id", "url")

#: Platform words in exports, normalised; anything else is reported, not guessed.
PLATFORM_WORDS: dict[str, str] = {
    **dict.fromkeys(("微信", "微信公众号", "公众号", "微信订阅号", "订阅号", "微信服务号", "服务号", "wechat",
                     "weixin"), "wechat"),
    **dict.fromkeys(("微博", "新浪微博", "政务微博", "weibo"), "weibo"),
    **dict.fromkeys(("客户端", "移动客户端", "app", "手机客户端", "应用", "ios", "android", "安卓"), "app"),
    **dict.fromkeys((*SITE_WORDS, "其他", "其它"), "web"),
}
#: 运行状态 values that mean the account no longer runs.
CLOSED = ("关停", "已关停", "注销", "已注销", "停用", "已停用", "关闭", "已关闭")
RUNNING = ("", "正常", "运行", "正常运行", "运行中", "运营", "运营中", "在用")

#: Cells of a ticked platform column (类型（微信）) that do not tick it.
UNTICKED = ("", "否", "无", "×", "✗", "0", "-", "—", "/")

#: How many rows from the top the header may start at (titles and notes come first).
HEADER_SEARCH_ROWS = 15

_SPLIT_HEADER = re.compile(r"[/／、|｜]")
_NOTE = re.compile(r"[（(][^）)]*[）)]")
_SPLIT_VALUES = re.compile(r"[\s;；,，、]+")
#: IDs in public URLs (a Weibo UID, an App Store id), for ids that stay the same across imports.
_URL_ID = re.compile(r"(?:weibo\.com|weibo\.cn)/(?:u/|profile/|p/\d{6})?(\d{5,12})|apps\.apple\.com/.*/(id\d{6,12})")
_SLUG = re.compile(r"[^a-z0-9._-]+")
#: A link written without its scheme, as clerks often do ("weibo.com/baojifabu", "www.x.gov.cn/app").
_BARE_URL = re.compile(r"(?:[A-Za-z0-9-]+\.)+(?:com|cn|net|org|gov\.cn|com\.cn)(?::\d+)?/\S*", re.IGNORECASE)
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\ufeff"), None)


@dataclass
class Sheet:
    """The cells of one table, as text, each row with its number in the file (1-based)."""

    name: Optional[str]
    rows: Iterable[tuple[int, list[str]]]  # a list (xlsx: merges fill rows in), or streamed (CSV)


@dataclass
class ImportedAccount:
    row: int
    values: dict[str, Any]  # registry fields, in registry order
    status: str = ""  # 运行状态 as written, when it says closed


@dataclass
class Imported:
    source: str
    sheet: Optional[str]
    accounts: list[ImportedAccount] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # FILE: ... (columns left out, closed accounts)
    problems: list[str] = field(default_factory=list)  # FILE:ROW: ... rows left out
    closed: int = 0


# -- reading ---------------------------------------------------------------------------------------


def _cell_text(value: Any) -> str:
    """A cell as text: whole floats without '.0' (Excel stores a UID as 2710000001.0)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    elif isinstance(value, datetime):
        value = value.date() if value.time() == datetime.min.time() else value
    if isinstance(value, date):
        value = value.isoformat()
    return unicodedata.normalize("NFKC", str(value)).translate(_INVISIBLE).replace("\xa0", " ").strip()


def read_xlsx(path: Path, sheet: Optional[str]) -> Sheet:
    """The sheet's cells with merged ranges filled in (every cell of a merge holds its value);
    rows streamed and only used cells kept (see nmaudit.workbook)."""
    title, rows = read_workbook_sheet(path, sheet, _cell_text, HEADER_SEARCH_ROWS + 1)
    return Sheet(title, rows)


def _csv_encoding(path: Path) -> str:
    """utf-8-sig, or gb18030 (GBK) when the file is not UTF-8; read through once, in chunks."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    lines, bad = 0, -1
    with open(path, "rb") as stream:
        while chunk := stream.read(1 << 20):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as utf8:
                bad = max(0, utf8.start)
                break
            lines += chunk.count(b"\n")
        else:
            try:
                decoder.decode(b"", final=True)
                return "utf-8-sig"
            except UnicodeDecodeError:
                bad = len(chunk) if chunk else 0
    try:
        with open(path, encoding="gb18030") as stream:
            while stream.read(1 << 20):
                pass
    except UnicodeDecodeError:
        row = lines + chunk[:bad].count(b"\n") + 1
        byte = f" (byte 0x{chunk[bad]:02x})" if bad < len(chunk) else ""
        raise RegistryError([f"{path}:{row}: cannot read: neither UTF-8 nor GBK{byte}; "
                             "save the file as CSV UTF-8"]) from None
    return "gb18030"


def read_csv(path: Path) -> Sheet:
    """A CSV in UTF-8 (with or without BOM) or GBK/GB18030, as Chinese Excel saves it; rows
    streamed from the file (a CSV can be read in one pass: nothing below a row changes it)."""
    encoding = _csv_encoding(path)
    with open(path, encoding=encoding, newline="") as stream:
        sample = stream.read(4096)
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel

    def rows() -> Iterator[tuple[int, list[str]]]:
        with open(path, encoding=encoding, newline="") as stream:
            reader = csv.reader(stream, dialect)
            try:
                for row in reader:
                    yield reader.line_num, [_cell_text(v) for v in row]
            except csv.Error as error:
                raise RegistryError([f"{path}:{reader.line_num}: cannot read: {error}"]) from None

    return Sheet(None, rows())


def read_sheet(path: Path, sheet: Optional[str] = None) -> Sheet:
    if not path.is_file():
        raise RegistryError([f"{path}: cannot read: no such file"])
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return read_xlsx(path, sheet)
    if suffix in (".csv", ".txt"):
        if sheet is not None:
            raise RegistryError([f"{path}: --sheet is for .xlsx workbooks; a CSV file has one table"])
        return read_csv(path)
    raise RegistryError([f"{path}: cannot read '{path.suffix}' files (expected .xlsx or .csv; save .xls as .xlsx)"])


# -- headers ---------------------------------------------------------------------------------------


def _key(text: str) -> str:
    return "".join(text.split()).lower()


_ALIASES = {_key(alias): name for name, aliases in HEADERS.items() for alias in aliases}


def header_field(text: str) -> Optional[str]:
    """The registry field a header names, None when it names none."""
    whole = _key(text)
    for candidate in (whole, _key(_NOTE.sub("", text)), *(_key(p) for p in _SPLIT_HEADER.split(_NOTE.sub("", text)))):
        if candidate in _ALIASES:
            return _ALIASES[candidate]
    return None


def _combined(upper: list[str], lower: list[str]) -> list[str]:
    """Two header rows as one, as a person reads them: the lower cell where it names a field;
    under a group (a cell merged across columns) the group with the lower cell as its note
    ("类型（微信）" for a 类型 group over 微信 | 微博 | 客户端 ticked per row); else the upper one."""
    width = max(len(upper), len(lower))
    upper, lower = upper + [""] * (width - len(upper)), lower + [""] * (width - len(lower))
    headers = []
    for up, low in zip(upper, lower):
        if low and low != up and header_field(low):
            headers.append(low)
        elif low and up and low != up:
            headers.append(f"{up}（{low}）")
        else:
            headers.append(up or low)
    return headers


def _grouped(upper: list[str], lower: list[str]) -> bool:
    """Whether `lower` is the second row of a header `upper`: each of its cells repeats the cell
    above (merged down) or stands under a group (a cell merged across columns), and at least
    one is a label of its own under a group."""
    def group(column: int) -> bool:
        text = upper[column] if column < len(upper) else ""
        return bool(text) and any(0 <= other < len(upper) and upper[other] == text for other in (column - 1, column + 1))

    own = False
    for column, low in enumerate(lower):
        if not low or (column < len(upper) and low == upper[column]):
            continue
        if not group(column):
            return False
        own = True
    return own


def find_header(rows: list[tuple[int, list[str]]]) -> tuple[int, list[str]]:
    """Index in ``rows`` (the sheet's first rows) of the first data row, and the header text of
    each column; (-1, []) when none of the first HEADER_SEARCH_ROWS rows is a header. A title
    row above the header names no field; a header over two rows (merged cells) is read as one."""
    for index, (_, cells) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        below = rows[index + 1][1] if index + 1 < len(rows) else None
        if below is not None:
            # A two-row header has fields in both rows (主办单位 merged down beside 账号信息 over
            # 账号名称), or labels under a group in the second (联系人 over 姓名 | 电话).
            second_level = any(header_field(up) for up in cells if up) and (any(
                low and low != up and header_field(low) for up, low in zip(cells + [""] * len(below), below))
                or _grouped(cells, below))
            if second_level:
                headers = _combined(cells, below)
                if {"name", "platform"} <= {header_field(h) for h in headers}:
                    return index + 2, headers
        if {"name", "platform"} <= {header_field(h) for h in cells}:
            return index + 1, cells
    return -1, []


# -- mapping rows ----------------------------------------------------------------------------------


def platform_of(text: str) -> Optional[str]:
    word = _key(_NOTE.sub("", text))
    if word in PLATFORM_WORDS:
        return PLATFORM_WORDS[word]
    if site_of(text):
        return "web"
    for marker, platform in (("微信", "wechat"), ("公众号", "wechat"), ("微博", "weibo"), ("客户端", "app"),
                             ("app", "app")):
        if marker in word:
            return platform
    return None


def site_of(text: str) -> Optional[str]:
    """The site of a platform-web type ("抖音号" -> douyin); None for 其他 and the other platforms."""
    word = _key(_NOTE.sub("", text))
    return SITE_WORDS.get(word) or next((site for marker, site in SITE_WORDS.items() if marker in word), None)


def as_url(text: str) -> Optional[str]:
    """`text` as an http(s) URL: as written, or with https:// before a link written without it."""
    if _is_http_url(text):
        return text
    if _BARE_URL.fullmatch(text) and _is_http_url(f"https://{text}"):
        return f"https://{text}"
    return None


def identity_of(platform: str, site: Optional[str], text: str, hint: Optional[str]) -> Optional[str]:
    """Which identity field an id belongs in, by its column's header where that says, else by its
    form on the platform; None when it fits none (it is then reported, not guessed)."""
    keys = IDENTITY_KEYS[platform]
    if platform == "web":
        key = hint if hint in keys else site
        return key if key and not any(c.isspace() for c in text) else None
    candidates = ([hint] if hint in keys else []) + [k for k in keys if k != hint]
    if platform == "wechat" and ID_FORMS["gh_id"][0].fullmatch(text):
        return "gh_id"  # an 原始ID in a 微信号 column is still an 原始ID
    return next((key for key in candidates if ID_FORMS[key][0].fullmatch(text)), None)


def derived_url(platform: str, ids: dict[str, str]) -> Optional[str]:
    """The public page of an account's id, where the platform has one for it."""
    if platform == "weibo" and ids.get("uid"):
        return f"https://weibo.com/u/{ids['uid']}"
    if platform == "app" and ids.get("appstore_id"):
        return f"https://apps.apple.com/cn/app/id{ids['appstore_id'].removeprefix('id')}"
    if platform == "app" and ids.get("package"):
        return f"https://sj.qq.com/appdetail/{ids['package']}"
    return None


def _slug(text: str) -> str:
    return _SLUG.sub("-", text.lower()).strip("-._")[:48]


class _Mapper:
    def __init__(self, source: str, headers: list[str]):
        self.source = source
        self.columns: dict[str, list[int]] = {}
        self.id_hints: dict[int, str] = {}  # id column -> the identity its header names
        self.unmapped: list[str] = []
        #: Platform columns ticked per row under a 类型 group ("类型（微信）"): column -> platform word.
        self.ticked: dict[int, str] = {}
        for column, header in enumerate(headers):
            note = _NOTE.search(header or "")
            word = note.group()[1:-1] if note else ""
            if header_field(header or "") == "platform" and word and platform_of(word):
                self.ticked[column] = word
        for column, header in enumerate(headers):
            name = header_field(header) if header else None
            if column in self.ticked:
                continue
            if name is None:
                if header and _key(header) not in IGNORED_HEADERS:
                    self.unmapped.append(header)
                continue
            if name in MULTI or name not in self.columns:
                self.columns.setdefault(name, []).append(column)
                words = [_key(w) for w in _SPLIT_HEADER.split(_NOTE.sub("", header))]
                if name == "account_id" and (hint := next((ID_HEADERS[w] for w in words if w in ID_HEADERS), None)):
                    self.id_hints[column] = hint
            else:
                self.unmapped.append(f"{header}（与“{headers[self.columns[name][0]]}”重复）")
        if self.ticked:
            self.columns.setdefault("platform", [])
        self.ids: set[str] = set()
        self.numbers: dict[str, int] = {}

    def values(self, cells: list[str], name: str) -> list[str]:
        return [cells[c] for c in self.columns.get(name, []) if c < len(cells) and cells[c]]

    def first(self, cells: list[str], name: str) -> str:
        found = self.values(cells, name)
        return found[0] if found else ""

    def unique_id(self, prefix: str, account_ids: list[str], urls: list[str]) -> str:
        """prefix-<ID> when the export or a URL has an ASCII ID (stable across imports, so a
        re-check can match accounts), else prefix-NNN."""
        from_urls = [next(filter(None, m.groups())) for url in urls if (m := _URL_ID.search(url))]
        for account_id in [*account_ids, *from_urls]:
            slug = _slug(account_id)
            if slug and slug[0].isalnum() and (candidate := f"{prefix}-{slug}") not in self.ids:
                self.ids.add(candidate)
                return candidate
        while True:
            self.numbers[prefix] = self.numbers.get(prefix, 0) + 1
            candidate = f"{prefix}-{self.numbers[prefix]:03d}"
            if candidate not in self.ids:
                self.ids.add(candidate)
                return candidate

    def row(self, number: int, cells: list[str], imported: Imported, keep_closed: bool) -> None:
        where = f"{self.source}:{number}"
        problems, notes = [], []
        platform_text = self.first(cells, "platform") or "、".join(
            word for column, word in self.ticked.items() if column < len(cells) and cells[column] not in UNTICKED)
        for name, label in REQUIRED.items():
            if not (platform_text if name == "platform" else self.first(cells, name)):
                problems.append(f"{label}为空")
        platform = platform_of(platform_text) if platform_text else None
        site = site_of(platform_text) if platform == "web" else None
        if platform_text and platform is None:
            problems.append(f"类型“{platform_text}”无法识别（应为微信、微博、客户端/APP，或抖音、头条等其他平台）")

        # A URL is a URL in whichever column it stands (real exports put links in ID columns).
        urls, not_urls = [], []
        for text in self.values(cells, "url"):
            for part in filter(None, _SPLIT_VALUES.split(text)):
                url = as_url(part)
                (urls if url else not_urls).append(url or part)
        ids: dict[str, str] = {}
        written_ids: list[str] = []  # as the export writes them: the account's id derives from these
        stray: list[str] = []
        for column in self.columns.get("account_id", []):
            for part in filter(None, _SPLIT_VALUES.split(cells[column] if column < len(cells) else "")):
                if url := as_url(part):
                    urls.append(url)
                elif platform is not None:
                    key = identity_of(platform, site, part, self.id_hints.get(column))
                    if key is None or key in ids:
                        stray.append(part)
                    else:
                        ids[key] = {"appstore_id": part.lower().removeprefix("id"), "gh_id": part.lower()}.get(key, part)
                        written_ids.append(part)
        if not_urls:
            problems.append(f"链接不是 http(s) 地址：{'、'.join(not_urls)}")
        if platform and stray:
            kinds = "、".join(IDENTITY_LABELS[k] for k in IDENTITY_KEYS[platform] if platform != "web" or k == site)
            notes.append(f"账号ID“{'、'.join(stray)}”不是可识别的{kinds or '平台账号'}，未导入该ID")
        if platform and not urls and (derived := derived_url(platform, ids)):
            urls.append(derived)
        if platform == "web" and not urls and not ids and site is None:
            problems.append(f"类型“{platform_text}”未说明是哪个平台，且没有链接或账号ID（请填写主页链接，或注明抖音、头条等平台）")
        interaction = self.first(cells, "interaction")
        if interaction and not _is_http_url(interaction):
            problems.append(f"互动地址不是 http(s) 地址：{interaction}")

        name = self.first(cells, "name")
        if problems:
            shown = f"“{name}”" if name else "此行"
            imported.problems.append(f"{where}: {shown}未导入：{'；'.join(problems)}")
            return
        imported.warnings.extend(f"{where}: “{name}”{note}" for note in notes)
        status = self.first(cells, "status")
        closed = _key(status) in CLOSED
        if closed:
            imported.closed += 1
            kept = "仍列入登记表（已标注运行状态）" if keep_closed else "未列入检查"
            imported.warnings.append(f"{where}: “{name}”运行状态为{status}，{kept}")
            if not keep_closed:
                return
        elif _key(status) not in RUNNING:
            imported.warnings.append(f"{where}: “{name}”运行状态“{status}”无法识别，按正常运行导入")
        assert platform is not None
        prefix = site if platform == "web" and site and ids else platform
        values: dict[str, Any] = {
            "id": self.unique_id(prefix, written_ids, urls),
            "name": name,
            "platform": platform,
            "owner": self.first(cells, "owner"),
            "certified_as": self.first(cells, "certified_as") or None,
            "region": self.first(cells, "region") or None,
            "urls": list(dict.fromkeys(urls)) or None,
            "ids": ids or None,
            "site": site if platform == "web" and not ids and not urls else None,
            "interaction": interaction or None,
        }
        imported.accounts.append(ImportedAccount(number, {k: v for k, v in values.items() if v is not None},
                                                 status if closed else ""))


def import_sheet(path: str | Path, sheet: Optional[str] = None, keep_closed: bool = False) -> Imported:
    """Map an export to registry accounts. RegistryError (nothing usable) for unreadable input."""
    file = Path(path)
    table = read_sheet(file, sheet)
    rows = iter(table.rows)
    head = list(itertools.islice(rows, HEADER_SEARCH_ROWS + 1))
    start, headers = find_header(head)
    if start < 0:
        raise RegistryError([f"{file}: no header row with 账号名称 and 类型/平台 in the first "
                             f"{HEADER_SEARCH_ROWS} rows" + (f" of sheet '{table.name}'" if table.name else "")])
    mapper = _Mapper(str(file), headers)
    missing = [label for name, label in REQUIRED.items() if name not in mapper.columns]
    if missing:
        found = "、".join(h for h in headers if h)
        raise RegistryError([f"{file}:{head[start - 1][0]}: no column for {'、'.join(missing)} "
                             f"(headers: {found})"])
    imported = Imported(str(file), table.name)
    if mapper.unmapped:
        imported.warnings.append(f"{file}: 未导入的列：{'、'.join(mapper.unmapped)}")
    for number, cells in itertools.chain(head[start:], rows):
        if any(cells):
            mapper.row(number, cells, imported, keep_closed)
    if not imported.accounts and not imported.problems and not imported.closed:
        raise RegistryError([f"{file}: no accounts below the header (row {head[start - 1][0]})"])
    return imported


# -- writing ---------------------------------------------------------------------------------------


#: Text YAML reads back as the same string when written plain: letters (any script) first, then
#: no spaces, quotes, flow or comment characters. Checked by the resolver too (``yes``, ``null``).
_PLAIN = re.compile(r"[^\W\d_][\w.\-/（）·]*")
#: A link as a block scalar (urls are written one a line): no space, quote, '#' or final ':'.
_PLAIN_URL = re.compile(r"https?://[A-Za-z0-9.\-_~/:%?=&+@!$*,;]*[A-Za-z0-9.\-_~/%?=&+@!$*,;]")
_RESOLVER = yaml.resolver.Resolver()


def _scalar(value: str) -> str:
    """A YAML scalar that reads back as the same text (quoted when YAML would read a number).

    Plain text, the common case, is written as it is; only other text goes through the YAML
    emitter (tens of microseconds a value: most of a 100,000-row import, written plain)."""
    if _PLAIN_URL.fullmatch(value):
        return value
    if _PLAIN.fullmatch(value) and _RESOLVER.resolve(yaml.ScalarNode, value, (True, False)) == _STR_TAG:
        return value
    if value.isascii() and value.isdigit():
        return f"'{value}'"  # an id YAML would read as a number
    return yaml.safe_dump(value, allow_unicode=True, default_flow_style=True, width=10**6).removesuffix("\n...\n").strip()


_STR_TAG = "tag:yaml.org,2002:str"


#: Accounts checked together as they are written: the check's YAML node tree stays small.
CHECK_BLOCK = 2_000


def _head(imported: Imported) -> list[str]:
    source = Path(imported.source).name
    where = f"（工作表 {imported.sheet}）" if imported.sheet else ""
    return [f"# 由 nmaudit registry import 从 {source}{where} 导入；每个账号后注明来源行。",
            "version: 1", "accounts:"]


def _account_lines(account: ImportedAccount) -> list[str]:
    note = f"第{account.row}行" + (f" 运行状态: {account.status}" if account.status else "")
    lines = [""]
    for index, (key, value) in enumerate(account.values.items()):
        lead = "  - " if index == 0 else "    "
        if key == "urls":
            lines.append(f"{lead}urls:")
            lines.extend(f"      - {_scalar(url)}" for url in value)
        elif key == "ids":
            lines.append(f"{lead}ids: {{{', '.join(f'{k}: {_scalar(v)}' for k, v in value.items())}}}")
        else:
            comment = f"   # {note}" if index == 0 else ""
            lines.append(f"{lead}{key}: {_scalar(value)}{comment}")
    return lines


def registry_yaml(imported: Imported) -> str:
    """The registry file, version 1: one block per account, its source row in a comment."""
    lines = _head(imported)
    for account in imported.accounts:
        lines.extend(_account_lines(account))
    return "\n".join(lines) + "\n"


def write_registry(imported: Imported, path: Path,
                   checked: Optional[Callable[[list[Account]], None]] = None) -> str:
    """Write the registry atomically, after checking that it loads (a failure is a bug here,
    and must not leave a file behind); the written file's SHA-256.

    Written and checked CHECK_BLOCK accounts at a time (each block read back as a registry of
    its own; ids are unique by construction), so time and memory grow with the file, no faster;
    `checked` is handed each block's accounts as read back."""
    path.parent.mkdir(parents=True, exist_ok=True)
    head = "\n".join(_head(imported)) + "\n"
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    digest = hashlib.sha256()
    try:
        with os.fdopen(handle, "wb") as stream:
            data = head.encode("utf-8")
            stream.write(data)
            digest.update(data)
            for first in range(0, len(imported.accounts), CHECK_BLOCK):
                block = imported.accounts[first:first + CHECK_BLOCK]
                text = "\n".join(line for account in block for line in _account_lines(account)) + "\n"
                block_read = load_registry_text(str(path), head + text)
                if checked is not None:
                    checked(block_read.accounts)
                data = text.encode("utf-8")
                stream.write(data)
                digest.update(data)
            stream.flush()
            os.fchmod(stream.fileno(), 0o666 & ~_UMASK)
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return digest.hexdigest()
