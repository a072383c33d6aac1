"""registry import (spreadsheet exports -> accounts.yaml) and registry lint, through the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
import yaml

from nmaudit.registry import load_registry
from nmaudit.registry_import import derived_url, header_field, platform_of
from tests.demo_site import ROOT


def nmaudit(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nmaudit", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120, env=dict(os.environ, NO_COLOR="1", COLUMNS="200"))


def write_export(path: Path) -> None:
    """A 报送系统 export as offices circulate it: a title row, a two-row header with merged
    cells, a blank row, UIDs typed as numbers, extra columns, a cancelled account."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "政务新媒体"
    sheet.append(["宝鸡市政务新媒体信息表（2026年第四季度）"])
    sheet.merge_cells("A1:K1")
    sheet.append(["序号", "账号信息", None, None, None, "主办单位", "认证主体", "地区", "运行状态", "开设时间", "负责人"])
    sheet.append([None, "账号名称", "类型/平台", "账号ID/微信号", "链接/下载地址", None, None, None, None, None, None])
    for column in "AFGHIJK":
        sheet.merge_cells(f"{column}2:{column}3")
    sheet.merge_cells("B2:E2")
    rows = [
        [1, "平安宝鸡", "新浪微博", 2710000001, None, "宝鸡市公安局", "宝鸡市公安局", "宝鸡市", "正常", datetime(2013, 5, 1), "张三"],
        [2, "宝鸡发布", "微信公众号", "baojifabu",
         "https://mp.weixin.qq.com/mp/appmsgalbum?__biz=MzA3MTAwMDAwMQ==&action=getalbum&album_id=2710000101",
         "宝鸡市人民政府新闻办公室", "宝鸡市人民政府新闻办公室", "宝鸡市", "正常", None, "李四"],
        [None] * 11,
        [3, "宝鸡政务", "APP", "id6470000001", None, "宝鸡市大数据局", None, "宝鸡市", "正常", None, None],
        [4, "金台教育", "微博", 2710000006.0, None, "宝鸡市金台区教育局", "宝鸡市金台区教育局", "金台区", "注销", None, None],
        [5, "渭滨发布", "微博", None, "https://m.weibo.cn/profile/2710000004", "宝鸡市渭滨区人民政府办公室", None, "渭滨区",
         "正常", None, None],
        [6, "太白发布", "微信", "taibaifabu", None, "宝鸡市太白县人民政府办公室", None, "太白县", "正常", None, None],
        [7, "岐山发布", "网站群", None, "https://www.qishan.gov.cn/", "宝鸡市岐山县人民政府办公室", None, "岐山县", "正常", None, None],
        [8, "平安宝鸡", "抖音", None, "https://www.douyin.com/user/MS4wLjABAAAA-baoji-police", "宝鸡市公安局", None,
         "宝鸡市", "正常", None, None],
        [9, "", "微博", 2710000009, None, "宝鸡市应急管理局", None, "宝鸡市", "正常", None, None],
    ]
    for row in rows:
        sheet.append(row)
    sheet.append([None] * 11)
    book.save(path)


EXPECTED_ACCOUNTS = [
    {"id": "weibo-2710000001", "name": "平安宝鸡", "platform": "weibo", "owner": "宝鸡市公安局",
     "certified_as": "宝鸡市公安局", "region": "宝鸡市", "urls": ["https://weibo.com/u/2710000001"]},
    {"id": "wechat-baojifabu", "name": "宝鸡发布", "platform": "wechat", "owner": "宝鸡市人民政府新闻办公室",
     "certified_as": "宝鸡市人民政府新闻办公室", "region": "宝鸡市",
     "urls": ["https://mp.weixin.qq.com/mp/appmsgalbum?__biz=MzA3MTAwMDAwMQ==&action=getalbum&album_id=2710000101"]},
    {"id": "app-id6470000001", "name": "宝鸡政务", "platform": "app", "owner": "宝鸡市大数据局", "region": "宝鸡市",
     "urls": ["https://apps.apple.com/cn/app/id6470000001"]},
    {"id": "weibo-2710000004", "name": "渭滨发布", "platform": "weibo", "owner": "宝鸡市渭滨区人民政府办公室", "region": "渭滨区",
     "urls": ["https://m.weibo.cn/profile/2710000004"]},
    {"id": "wechat-taibaifabu", "name": "太白发布", "platform": "wechat", "owner": "宝鸡市太白县人民政府办公室",
     "region": "太白县", "urls": []},  # a 微信号 alone: found through Sogou
    {"id": "web-001", "name": "平安宝鸡", "platform": "web", "owner": "宝鸡市公安局", "region": "宝鸡市",
     "urls": ["https://www.douyin.com/user/MS4wLjABAAAA-baoji-police"]},
]


def test_import_a_realistic_xlsx_export(tmp_path):
    write_export(tmp_path / "export.xlsx")
    done = nmaudit("registry", "import", "export.xlsx", "-o", "accounts.yaml", cwd=tmp_path)
    assert done.returncode == 1, done.stderr  # rows were left out: say so in the exit code
    assert done.stderr.splitlines() == [
        "export.xlsx: 未导入的列：开设时间、负责人",
        "export.xlsx:8: “金台教育”运行状态为注销，未列入检查",
        "export.xlsx:11: “岐山发布”未导入：类型“网站群”无法识别（应为微信、微博、客户端/APP，或抖音、头条等其他平台）",
        "export.xlsx:13: 此行未导入：账号名称为空",
        "已写入 accounts.yaml：6 个账号，2 行无法导入（见上），1 个已关停/注销",
        "能否证明更新情况（逐个账号见 nmaudit registry coverage accounts.yaml）：",
        "  微信 2 个：列出最新 1，仅能证明有更新 1，暂无自动检查 0",
        "  微博 2 个：列出最新 2，仅能证明有更新 0，暂无自动检查 0",
        "  移动客户端 1 个：列出最新 0，仅能证明有更新 0，暂无自动检查 1",
        "  其他 1 个：列出最新 1，仅能证明有更新 0，暂无自动检查 0",  # a Douyin profile link
        "  合计 6 个：列出最新 4，仅能证明有更新 1，暂无自动检查 1",
    ]
    registry = load_registry(tmp_path / "accounts.yaml")
    assert [a.model_dump(include={"id", "name", "platform", "owner", "certified_as", "region", "urls"},
                         exclude_none=True) for a in registry.accounts] == EXPECTED_ACCOUNTS
    assert [a.ids.filled() for a in registry.accounts] == [
        {"uid": "2710000001"}, {"wechat_id": "baojifabu"}, {"appstore_id": "6470000001"}, {},
        {"wechat_id": "taibaifabu"}, {}]
    text = (tmp_path / "accounts.yaml").read_text(encoding="utf-8")
    assert "  - id: weibo-2710000001   # 第4行\n" in text


def test_import_refuses_to_overwrite_without_force(tmp_path):
    write_export(tmp_path / "export.xlsx")
    (tmp_path / "accounts.yaml").write_text("mine\n", encoding="utf-8")
    done = nmaudit("registry", "import", "export.xlsx", "-o", "accounts.yaml", cwd=tmp_path)
    assert done.returncode == 2
    assert "accounts.yaml: already exists; pass --force to overwrite it" in done.stderr
    assert (tmp_path / "accounts.yaml").read_text(encoding="utf-8") == "mine\n"
    done = nmaudit("registry", "import", "export.xlsx", "-o", "accounts.yaml", "--force", cwd=tmp_path)
    assert done.returncode == 1 and len(load_registry(tmp_path / "accounts.yaml").accounts) == 6


GBK_CSV = """\
序号,账号名称,平台,主办单位,认证主体,所属地区,微博UID,主页地址,运行状态,联系电话
1,平安宝鸡,微博,宝鸡市公安局,宝鸡市公安局,宝鸡市,2710000001,,正常,0917-1234567
,,,,,,,,,
2,宝鸡发布,微博,宝鸡市人民政府新闻办公室,宝鸡市人民政府新闻办公室,宝鸡市,,https://m.weibo.cn/u/2710000002,正常,
3,岐山政务,移动客户端,宝鸡市岐山县人民政府办公室,,岐山县,cn.gov.qishan.app,,关停,
"""


@pytest.mark.parametrize("encoding", ["gbk", "utf-8-sig", "utf-8"])
def test_import_csv_in_gbk_and_utf8(tmp_path, encoding):
    (tmp_path / "export.csv").write_bytes(GBK_CSV.encode(encoding))
    done = nmaudit("registry", "import", "export.csv", "-o", "accounts.yaml", "--keep-closed", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines()[:2] == [
        "export.csv: 未导入的列：联系电话",
        "export.csv:5: “岐山政务”运行状态为关停，仍列入登记表（已标注运行状态）",
    ]
    accounts = load_registry(tmp_path / "accounts.yaml").accounts
    assert [(a.id, a.name, a.region, a.urls) for a in accounts] == [
        ("weibo-2710000001", "平安宝鸡", "宝鸡市", ["https://weibo.com/u/2710000001"]),
        ("weibo-2710000002", "宝鸡发布", "宝鸡市", ["https://m.weibo.cn/u/2710000002"]),
        ("app-cn.gov.qishan.app", "岐山政务", "岐山县", ["https://sj.qq.com/appdetail/cn.gov.qishan.app"]),
    ]
    lint = nmaudit("registry", "lint", "accounts.yaml", cwd=tmp_path)
    assert lint.returncode == 0
    assert "运行状态为关停，仍列在登记表中" in lint.stdout


def test_unreadable_input_exits_2_with_file_and_row(tmp_path):
    (tmp_path / "bad.csv").write_bytes("账号名称,平台,主办单位\n平安宝鸡,微博,宝鸡市公安局\n".encode() + b"\xff\xfe\x80\x80,\x81\n")
    done = nmaudit("registry", "import", "bad.csv", "-o", "out.yaml", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.splitlines()[0].startswith("bad.csv:3: cannot read: neither UTF-8 nor GBK")
    assert not (tmp_path / "out.yaml").exists()

    (tmp_path / "notes.csv").write_text("会议纪要\n第一条,第二条\n", encoding="utf-8")
    done = nmaudit("registry", "import", "notes.csv", "-o", "out.yaml", cwd=tmp_path)
    assert done.returncode == 2
    assert "notes.csv: no header row with 账号名称 and 类型/平台 in the first 15 rows" in done.stderr

    (tmp_path / "fake.xlsx").write_text("not a zip", encoding="utf-8")
    done = nmaudit("registry", "import", "fake.xlsx", "-o", "out.yaml", cwd=tmp_path)
    assert done.returncode == 2 and "fake.xlsx: cannot read as an Excel workbook" in done.stderr

    write_export(tmp_path / "export.xlsx")
    done = nmaudit("registry", "import", "export.xlsx", "--sheet", "Sheet9", "-o", "out.yaml", cwd=tmp_path)
    assert done.returncode == 2 and "export.xlsx: no sheet 'Sheet9' (sheets: '政务新媒体')" in done.stderr
    assert not (tmp_path / "out.yaml").exists()


@pytest.mark.parametrize("header, field", [
    ("账号名称", "name"), ("类型/平台", "platform"), ("账号ID/微信号", "account_id"), ("链接（主页或下载地址）", "url"),
    ("运行状态", "status"), ("认证 主体", "certified_as"), ("开设时间", None), ("负责人", None),
])
def test_headers(header, field):
    assert header_field(header) == field


@pytest.mark.parametrize("text, platform", [
    ("微信公众号", "wechat"), ("微信订阅号", "wechat"), ("新浪微博", "weibo"), ("APP", "app"), ("移动客户端", "app"),
    ("抖音", "web"), ("今日头条", "web"), ("微信视频号", "web"), ("网站群", None),
])
def test_platform_words(text, platform):
    assert platform_of(text) == platform


@pytest.mark.parametrize("platform, ids, url", [
    ("weibo", {"uid": "2710000001"}, "https://weibo.com/u/2710000001"),
    ("app", {"appstore_id": "6470000002"}, "https://apps.apple.com/cn/app/id6470000002"),
    ("app", {"package": "cn.gov.baoji"}, "https://sj.qq.com/appdetail/cn.gov.baoji"),
    ("wechat", {"wechat_id": "baojifabu"}, None),  # a 微信号 has no public page
    ("weibo", {"domain": "baojifabu"}, None),  # a 个性域名 is resolved by the audit
])
def test_urls_derived_only_where_the_platform_has_a_page(platform, ids, url):
    assert derived_url(platform, ids) == url


# -- lint ----------------------------------------------------------------------------------------

LINTED = """\
version: 1
accounts:
  - id: police-weibo
    name: 平安宝鸡
    platform: weibo
    owner: 宝鸡市公安局
    certified_as: 宝鸡市公安局
    urls: [https://weibo.com/u/1]
  - id: police-weibo-2   # 运行状态: 注销
    name: 宝鸡警方
    platform: weibo
    owner: 宝鸡市公安局
    certified_as: 宝鸡市公安局
    urls: [https://weibo.com/u/2]
  - id: police-douyin
    name: 平安宝鸡
    platform: web
    owner: 宝鸡市公安局
    certified_as: 宝鸡市公安局
    urls: [https://www.douyin.com/user/a]
  - id: police-toutiao
    name: 平安宝鸡
    platform: web
    owner: 宝鸡市公安局
    certified_as: 宝鸡市公安局
    urls: [https://www.toutiao.com/c/user/b]
  - id: odd-name
    name: 美丽乡村
    platform: wechat
    owner: 宝鸡市渭滨区人民政府办公室
    urls: [https://mp.weixin.qq.com/s/x]
"""


def test_lint_hints_one_per_line(tmp_path):
    (tmp_path / "accounts.yaml").write_text(LINTED, encoding="utf-8")
    done = nmaudit("registry", "lint", "accounts.yaml", cwd=tmp_path)
    assert done.returncode == 0
    assert done.stdout.splitlines() == [
        "accounts.yaml:9: accounts[1] police-weibo-2: 同一平台重复开设：宝鸡市公安局在微博已有账号“平安宝鸡”（第3行）",
        "accounts.yaml:9: accounts[1] police-weibo-2: 运行状态为注销，仍列在登记表中：关停、注销的账号应从检查名单中移除",
        "accounts.yaml:27: accounts[4] odd-name: 名称规范：账号名称“美丽乡村”与主办单位“宝鸡市渭滨区人民政府办公室”没有共同的字词",
        "accounts.yaml:27: accounts[4] odd-name: 未填认证主体（certified_as）：无法核对认证主体是否变更未报备",
    ]
    assert done.stderr.strip() == "accounts.yaml：4 条提示"
    assert nmaudit("registry", "lint", "accounts.yaml", "--strict", cwd=tmp_path).returncode == 1


def test_lint_strict_passes_a_clean_registry_and_exits_2_on_an_invalid_one(tmp_path):
    clean = "\n".join(LINTED.splitlines()[:8]) + "\n"
    (tmp_path / "clean.yaml").write_text(clean, encoding="utf-8")
    done = nmaudit("registry", "lint", "clean.yaml", "--strict", cwd=tmp_path)
    assert (done.returncode, done.stdout) == (0, "")
    (tmp_path / "bad.yaml").write_text(clean.replace("platform: weibo", "platform: wexin"), encoding="utf-8")
    done = nmaudit("registry", "lint", "bad.yaml", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.splitlines()[0] == (
        "bad.yaml:5: accounts[0].platform: unknown platform 'wexin' (expected wechat, weibo, app, web)")


def test_the_sample_registry_lints_with_certification_hints_only():
    done = nmaudit("registry", "lint", "accounts.yaml", cwd=ROOT)
    assert done.returncode == 0
    assert all("未填认证主体" in line for line in done.stdout.splitlines())
    assert len(done.stdout.splitlines()) == sum(1 for a in yaml.safe_load((ROOT / "accounts.yaml").read_text())["accounts"]
                                                if "certified_as" not in a)
