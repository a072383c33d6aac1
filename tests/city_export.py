"""A 全国政务新媒体信息报送系统 export of one city, as offices actually fill it in.

The mix follows a real city's 2022 Q3 report (87 WeChat, 24 Weibo, apps, 11 Douyin/Toutiao), and
each row holds what units really file: WeChat rows a 微信号, an 原始ID, an article link in the ID
column, or only the name; Weibo rows a UID, a `/u/` or `/p/` link, a 个性域名 homepage, `/n/<name>`,
or only the screen name; apps an App Store link in the ID column, a package, or only the name;
Douyin, Toutiao and Kuaishou rows their 抖音号 / 头条号 / 快手号 (a number or one the office chose).
One account is closed, one row is blank.

`ROWS` is the export; each row also says what the import must make of it (`ids`, `urls`).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import openpyxl

CITY = "宝鸡市"
COUNTIES = ["渭滨区", "金台区", "陈仓区", "凤翔区", "岐山县", "扶风县", "眉县", "陇县", "千阳县", "麟游县", "凤县", "太白县"]
DEPARTMENTS = [
    "公安局", "教育局", "卫生健康委员会", "市场监督管理局", "文化和旅游局", "交通运输局", "应急管理局", "生态环境局",
    "人力资源和社会保障局", "民政局", "住房和城乡建设局", "农业农村局", "自然资源和规划局", "医疗保障局",
    "退役军人事务局", "司法局", "财政局", "水利局", "统计局", "审计局", "林业局", "气象局", "税务局", "商务局",
    "发展和改革委员会", "工业和信息化局", "科学技术局", "体育局", "城市管理执法局", "行政审批服务局", "信访局",
    "档案馆", "地方志办公室", "机关事务服务中心", "住房公积金管理中心", "残疾人联合会", "妇女联合会", "总工会",
    "共青团委员会", "科学技术协会", "红十字会", "消防救援支队", "国家安全局", "烟草专卖局", "邮政管理局",
    "人民防空办公室", "数据局", "营商环境服务局", "应急广播中心", "融媒体中心",
]
HEADERS = ["序号", "账号名称", "类型", "账号ID/链接", "原始ID", "主办单位", "认证主体", "地区", "运行状态", "负责人"]


@dataclass
class Row:
    name: str
    kind: str  # 类型 as written
    owner: str
    region: str
    id_cell: str = ""  # 账号ID/链接: an id or a link
    gh_cell: str = ""  # 原始ID
    status: str = "正常"
    certified: Optional[str] = None  # 认证主体; None: the owner
    #: What the import must make of the row.
    platform: str = ""
    ids: dict[str, str] = field(default_factory=dict)
    urls: list[str] = field(default_factory=list)
    site: Optional[str] = None
    how: str = ""  # the form the row files (for the emulated audit)

    @property
    def subject(self) -> str:
        return self.certified if self.certified is not None else self.owner


def _unit(place: str) -> str:
    return f"{CITY}{place}人民政府办公室" if place in COUNTIES else f"{CITY}{place}"


def _short(place: str) -> str:
    """渭滨区 -> 渭滨, 公安局 -> 公安: how account names abbreviate their unit."""
    for suffix in ("人民政府办公室", "委员会", "管理局", "服务中心", "局", "区", "县"):
        if place.endswith(suffix) and len(place) > len(suffix) + 1:
            return place[: -len(suffix)]
    return place


def _pinyin_id(index: int, prefix: str) -> str:
    return f"{prefix}{index:03d}bj"


def build_rows() -> list[Row]:
    rows: list[Row] = []
    places = COUNTIES + DEPARTMENTS
    # 87 WeChat accounts: 微信号 (50), 原始ID (20), an article link in the ID column (5), a link
    # to an album (2), the name only (10).
    for index in range(87):
        place = places[index % len(places)]
        suffix = "发布" if place in COUNTIES and index < len(places) else ("" if index < len(places) else "服务")
        name = f"{_short(place)}{suffix}" if place in COUNTIES else f"宝鸡{_short(place)}{suffix}"
        row = Row(name, "微信公众号", _unit(place), place if place in COUNTIES else CITY, platform="wechat")
        if index < 50:
            row.id_cell = _pinyin_id(index, "bjwx")
            row.ids, row.how = {"wechat_id": row.id_cell}, "wechat_id"
        elif index < 70:
            row.gh_cell = f"gh_{index:012x}"
            row.ids, row.how = {"gh_id": row.gh_cell}, "gh_id"
        elif index < 75:
            row.id_cell = f"https://mp.weixin.qq.com/s?__biz=MzA5{index:04d}MQ==&mid=26502{index:05d}&idx=1&sn=a{index:04d}"
            row.urls, row.how = [row.id_cell], "article"
        elif index < 77:
            row.id_cell = (f"https://mp.weixin.qq.com/mp/appmsgalbum?__biz=MzA5{index:04d}MQ==&action=getalbum"
                           f"&album_id=27100{index:05d}")
            row.urls, row.how = [row.id_cell], "album"
        else:
            row.how = "name"
        rows.append(row)
    # 24 Weibo accounts: UID (10), /u/ link (3), /p/ link (3), 个性域名 homepage (4), /n/ link (2), name (2).
    for index in range(24):
        place = places[(index * 3) % len(places)]
        name = f"{_short(place)}微博" if place in COUNTIES else f"宝鸡{_short(place)}微博"
        uid = str(2710100000 + index)
        row = Row(name, "新浪微博", _unit(place), place if place in COUNTIES else CITY, platform="weibo")
        if index < 10:
            row.id_cell, row.ids, row.urls, row.how = uid, {"uid": uid}, [f"https://weibo.com/u/{uid}"], "uid"
        elif index < 13:
            row.id_cell = f"https://weibo.com/u/{uid}"
            row.urls, row.how = [row.id_cell], "u"
        elif index < 16:
            row.id_cell = f"https://weibo.com/p/100606{uid}/home?from=page_100606&mod=TAB"
            row.urls, row.how = [row.id_cell], "p"
        elif index < 20:
            row.id_cell = f"weibo.com/bj{_pinyin_id(index, 'wb')}"  # written without https://
            row.urls, row.how = [f"https://{row.id_cell}"], "domain"
        elif index < 22:
            row.id_cell = f"https://weibo.com/n/{name}"
            row.urls, row.how = [row.id_cell], "n"
        else:
            row.how = "name"
        rows.append(row)
    # Apps: the App Store link in the ID column, an Android package, the name only.
    rows.append(Row("宝鸡政务", "移动客户端", f"{CITY}数据局", CITY, "https://apps.apple.com/cn/app/id6470000001",
                    platform="app", urls=["https://apps.apple.com/cn/app/id6470000001"], how="appstore"))
    rows.append(Row("i宝鸡", "APP", f"{CITY}融媒体中心", CITY, "cn.gov.baoji.ibaoji", platform="app",
                    ids={"package": "cn.gov.baoji.ibaoji"}, urls=["https://sj.qq.com/appdetail/cn.gov.baoji.ibaoji"],
                    how="package"))
    rows.append(Row("宝鸡医保", "客户端", f"{CITY}医疗保障局", CITY, platform="app", how="name"))
    # 11 Douyin and Toutiao accounts with their ids.
    for index in range(11):
        place = places[(index * 5 + 1) % len(places)]
        douyin = index < 6
        name = f"宝鸡{_short(place)}" + ("" if douyin else "头条")
        account_id = f"bj{_pinyin_id(index, 'dy' if douyin else 'tt')}"
        site = "douyin" if douyin else "toutiao"
        rows.append(Row(name, "抖音号" if douyin else "今日头条", _unit(place), CITY, account_id, platform="web",
                        ids={site: account_id}, how=site))
    # 2 Kuaishou accounts: a numeric 快手号 and one the office chose.
    for index, (kind, account_id) in enumerate((("快手号", "1938765402"), ("快手", "bjks002bj"))):
        place = places[(index * 5 + 3) % len(places)]
        rows.append(Row(f"宝鸡{_short(place)}", kind, _unit(place), CITY, account_id, platform="web",
                        ids={"kuaishou": account_id}, how="kuaishou"))
    # A closed account, listed as offices list them.
    rows.append(Row("金台教育", "微博", f"{CITY}金台区教育局", "金台区", "2710199999", status="注销", platform="weibo",
                    how="closed"))
    return rows


ROWS = build_rows()
#: The rows that name a running account: every one must be imported.
RUNNING = [row for row in ROWS if row.status == "正常"]


def cells(number: int, row: Row) -> list[object]:
    uid_as_number = row.platform == "weibo" and row.id_cell.isdigit()
    return [number, row.name, row.kind, int(row.id_cell) if uid_as_number else row.id_cell, row.gh_cell,
            row.owner, row.subject, row.region, row.status, "张三"]


def write_xlsx(path: Path) -> None:
    """A title row, the header, the rows (UIDs typed as numbers), a blank row in the middle."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "政务新媒体"
    sheet.append([f"{CITY}政务新媒体信息表（2026年第四季度）"])
    sheet.merge_cells("A1:J1")
    sheet.append(HEADERS)
    for number, row in enumerate(ROWS, 1):
        if number == 60:
            sheet.append([None] * len(HEADERS))
        sheet.append(cells(number, row))
    book.save(path)


def write_gbk_csv(path: Path) -> None:
    """The same export saved by Chinese Excel as CSV: GBK, a 微信号/链接 header, a blank row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([h if h != "账号ID/链接" else "微信号/链接" for h in HEADERS])
    for number, row in enumerate(ROWS, 1):
        if number == 60:
            writer.writerow([""] * len(HEADERS))
        writer.writerow(["" if v is None else v for v in cells(number, row)])
    path.write_bytes(out.getvalue().encode("gbk"))


#: The ticked form of 类型: one column per platform under a merged 类型 cell, √ in the account's.
TICKED = {"wechat": "微信", "weibo": "微博", "app": "客户端"}


def write_merged_header_xlsx(path: Path, ticked: bool = False) -> list[Row]:
    """The same city's export as other offices lay it out: a title row and a 填报单位 note row,
    both merged across the sheet, then the header over two rows with merged cells: 序号, 账号名称,
    主办单位... merged down; 账号信息 merged across 账号ID/链接 | 原始ID and 联系人 across 姓名 | 电话;
    with `ticked`, 类型 merged across 微信 | 微博 | 客户端, with √ in the account's column (only
    those platforms' rows). The rows written."""
    rows = [row for row in ROWS if not ticked or row.platform in TICKED]
    kinds = list(TICKED.values()) if ticked else ["类型"]
    upper = ["序号", "账号名称", *(["类型"] * len(kinds)), "账号信息", "账号信息", "主办单位", "认证主体", "地区", "运行状态",
             "联系人", "联系人"]
    lower = ["", "", *(kinds if ticked else [""]), "账号ID/链接", "原始ID", "", "", "", "", "姓名", "电话"]
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "政务新媒体"
    width = len(upper)
    sheet.append([f"{CITY}政务新媒体信息汇总表（2022年第三季度）"] + [None] * (width - 1))
    sheet.append([f"填报单位（盖章）：{CITY}人民政府办公室　　　填报时间：2022年9月30日"] + [None] * (width - 1))
    sheet.append([text if column == 0 or text != upper[column - 1] else None for column, text in enumerate(upper)])
    sheet.append([text or None for text in lower])
    for number, row in enumerate(rows, 1):
        kind = ["√" if TICKED[row.platform] == word else None for word in kinds] if ticked else [row.kind]
        sheet.append([number, row.name, *kind, row.id_cell or None, row.gh_cell or None, row.owner,
                      row.certified if row.certified is not None else row.owner, row.region, row.status,
                      "王芳", "0917-3261234"])
    last = openpyxl.utils.get_column_letter(width)
    sheet.merge_cells(f"A1:{last}1")
    sheet.merge_cells(f"A2:{last}2")
    for column, (up, low) in enumerate(zip(upper, lower), 1):
        letter = openpyxl.utils.get_column_letter(column)
        if not low:
            sheet.merge_cells(f"{letter}3:{letter}4")
    for text in dict.fromkeys(upper):
        columns = [column for column, up in enumerate(upper, 1) if up == text]
        if len(columns) > 1:
            sheet.merge_cells(f"{openpyxl.utils.get_column_letter(columns[0])}3:"
                              f"{openpyxl.utils.get_column_letter(columns[-1])}3")
    book.save(path)
    return rows
