"""A realistic 报送系统 export of one city (tests/city_export.py): every row that names an account
is imported, with the identity it holds, from the xlsx and from the GBK CSV alike."""

from __future__ import annotations

from pathlib import Path

import pytest

from nmaudit.coverage import account_coverage, coverage_totals
from nmaudit.registry import load_registry
from tests.city_export import ROWS, RUNNING, write_gbk_csv, write_merged_header_xlsx, write_xlsx
from tests.test_registry_tools import nmaudit

TOTALS = [
    "能否证明更新情况（逐个账号见 nmaudit registry coverage accounts.yaml）：",
    "  微信 87 个：列出最新 2，仅能证明有更新 85，暂无自动检查 0",
    "  微博 24 个：列出最新 24，仅能证明有更新 0，暂无自动检查 0",
    "  移动客户端 3 个：列出最新 0，仅能证明有更新 0，暂无自动检查 3",
    "  其他 13 个：列出最新 13，仅能证明有更新 0，暂无自动检查 0",
    "  合计 127 个：列出最新 39，仅能证明有更新 85，暂无自动检查 3",
]


@pytest.mark.parametrize("export, writer, closed_row", [
    ("export.xlsx", write_xlsx, 131),  # a title row, the header, a blank row
    ("export.csv", write_gbk_csv, 130),
])
def test_every_row_that_names_an_account_is_imported_with_its_identity(tmp_path, export, writer, closed_row):
    writer(tmp_path / export)
    done = nmaudit("registry", "import", export, "-o", "accounts.yaml", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == [
        f"{export}: 未导入的列：负责人",
        f"{export}:{closed_row}: “金台教育”运行状态为注销，未列入检查",
        "已写入 accounts.yaml：127 个账号，1 个已关停/注销",
        *TOTALS,
    ]
    accounts = load_registry(tmp_path / "accounts.yaml").accounts
    assert len(accounts) == len(RUNNING) == 127
    for account, row in zip(accounts, RUNNING):
        assert (account.name, account.platform, account.owner) == (row.name, row.platform, row.owner)
        assert account.ids.filled() == row.ids, row.name
        assert account.urls == row.urls, row.name
        assert account.certified_as == row.subject
    # Stable ids from what the rows hold, so next quarter's import matches this one's.
    ids = [account.id for account in accounts]
    assert "wechat-bjwx000bj" in ids and "wechat-gh_000000000032" in ids and "douyin-bjdy000bj" in ids
    assert "weibo-2710100013" in ids  # the UID inside a /p/100606<uid>/home link
    assert "toutiao-bjtt006bj" in ids and "app-id6470000001" in ids and "kuaishou-1938765402" in ids


@pytest.mark.parametrize("ticked", [False, True], ids=["类型-column", "类型-ticked"])
def test_a_merged_two_row_header_under_a_title_is_read_as_one_header(tmp_path, ticked):
    """A title row, a note row, then the header over two rows with merged cells imported one
    account too many: the header's second row (联系人 over 姓名 | 电话; 类型 over 微信 | 微博 |
    客户端, ticked per row) was read as an account. Read as a person reads it: one header."""
    rows = write_merged_header_xlsx(tmp_path / "export.xlsx", ticked)
    running = [row for row in rows if row.status == "正常"]
    done = nmaudit("registry", "import", "export.xlsx", "-o", "accounts.yaml", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert lines[0] == "export.xlsx: 未导入的列：联系人（姓名）、联系人（电话）", lines
    assert f"已写入 accounts.yaml：{len(running)} 个账号，1 个已关停/注销" in lines
    accounts = load_registry(tmp_path / "accounts.yaml").accounts
    assert len(accounts) == len(running)
    for account, row in zip(accounts, running):
        assert (account.name, account.platform, account.owner) == (row.name, row.platform, row.owner)
        assert account.ids.filled() == row.ids, row.name
        assert account.urls == row.urls, row.name
    assert "账号名称" not in [account.name for account in accounts]


def test_coverage_lists_every_account_and_the_totals(tmp_path):
    write_xlsx(tmp_path / "export.xlsx")
    nmaudit("registry", "import", "export.xlsx", "-o", "accounts.yaml", cwd=tmp_path)
    done = nmaudit("registry", "coverage", "accounts.yaml", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    # What signing in would add: the accounts a session helps, per platform (none signed in here).
    assert lines[-4:] == [
        "登录后访客看不到的内容也能检查（nmaudit login 平台，或复核页面的“平台登录”）：",
        "抖音 6 个：抖音主页与用户搜索（访客很快遇到登录面板与验证码中间页） — 未登录：nmaudit login douyin",
        "快手 2 个：快手主页与用户搜索（访客常被要求验证） — 未登录：nmaudit login kuaishou",
        "微博 24 个：微博资料、微博列表与用户搜索（访客验证页） — 未登录：nmaudit login weibo"]
    lines = lines[:-5]
    assert lines[-6:] == ["", *(line.strip() for line in TOTALS[1:])]
    by_id = {line.split(" ")[1]: line for line in lines[:-6]}
    assert len(by_id) == 127
    assert by_id["wechat-bjwx000bj"].endswith("渭滨发布（微信）：仅能证明有更新 — 搜狗微信搜索（按微信号 bjwx000bj）")
    assert by_id["wechat-gh_000000000032"].endswith("搜狗微信搜索（按原始ID gh_000000000032）")
    assert "列出最新 — 合集页/主页（列出最新）" in by_id["wechat-006"]
    assert "单篇文章 1 篇及其所属合集；搜狗微信搜索（按名称）" in by_id["wechat-001"]
    assert by_id["douyin-bjdy000bj"].endswith("（其他）：列出最新 — 抖音用户搜索（按抖音号 bjdy000bj）找到主页，读取页面自身加载的作品列表"
                                              "（登录抖音后更少被拦截：nmaudit login douyin）")
    assert "列出最新 — m.weibo.cn 资料与微博列表（UID）" in by_id["weibo-2710100013"]  # in the /p/ link
    assert "列出最新 — m.weibo.cn 资料与微博列表（由报备链接解析UID）" in by_id["weibo-001"]  # a 个性域名 link
    assert "m.weibo.cn 资料与微博列表（按昵称查找UID）" in by_id["weibo-007"]
    assert "App Store 按名称与开发者搜索" in by_id["app-001"]
    assert by_id["toutiao-bjtt006bj"].endswith(
        "（其他）：列出最新 — 今日头条用户搜索（按头条号 bjtt006bj 或名称）找到主页，读取页面自身加载的文章列表")
    assert by_id["kuaishou-1938765402"].endswith(
        "（其他）：列出最新 — 快手用户搜索（按快手号 1938765402）找到主页，读取页面自身加载的作品列表（认证需人工核查）"
        "（登录快手后更少被拦截：nmaudit login kuaishou）")
    assert "快手用户搜索（按快手号 bjks002bj）" in by_id["kuaishou-bjks002bj"]
    # Every Douyin, Toutiao and Kuaishou row of the export is looked up: none 暂无自动检查.
    sites = [line for account_id, line in by_id.items() if account_id.split("-")[0] in ("douyin", "toutiao", "kuaishou")]
    assert sum("登录" in line for line in sites) == 8, "a session helps the Douyin and Kuaishou rows"
    assert len(sites) == 13 and not [line for line in sites if "暂无自动检查" in line]


def test_a_feed_makes_any_account_list_its_newest_posts(tmp_path):
    path = tmp_path / "accounts.yaml"
    path.write_text("version: 1\naccounts:\n"
                    "  - {id: a, name: 岐山发布, platform: wechat, owner: 岐山县, feed: 'https://rss.example.cn/a'}\n"
                    "  - {id: b, name: 岐山发布, platform: wechat, owner: 岐山县}\n"
                    "  - {id: c, name: 岐山发布, platform: wechat, owner: 岐山县, policy: {sogou: never}}\n",
                    encoding="utf-8")
    items = [account_coverage(account) for account in load_registry(path).accounts]
    assert [item.label for item in items] == ["列出最新", "仅能证明有更新", "暂无自动检查"]
    assert items[0].sources == ("订阅源（列出最新）",)  # a feed: no Sogou needed
    assert coverage_totals(items)["wechat"]["all"] == 3


def test_lint_reads_accounts_filed_without_links(tmp_path):
    """Regression: lint took the first URL of every web account; a Douyin row by 抖音号 has none."""
    write_xlsx(tmp_path / "export.xlsx")
    nmaudit("registry", "import", "export.xlsx", "-o", "accounts.yaml", cwd=tmp_path)
    done = nmaudit("registry", "lint", "accounts.yaml", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "同一平台重复开设" in done.stdout


def test_coverage_shows_what_a_kept_session_adds(tmp_path):
    """With a Douyin session kept (nmaudit login douyin), its rows say so and the totals count them."""
    from nmaudit.sessions import SessionStore

    write_xlsx(tmp_path / "export.xlsx")
    nmaudit("registry", "import", "export.xlsx", "-o", "accounts.yaml", cwd=tmp_path)
    SessionStore(tmp_path / "sessions").save("douyin", None, {"cookies": [
        {"name": "sessionid", "value": "x", "domain": ".douyin.com", "path": "/", "expires": -1}], "origins": []})
    lines = nmaudit("registry", "coverage", "accounts.yaml", cwd=tmp_path).stdout.splitlines()
    assert "抖音 6 个：抖音主页与用户搜索（访客很快遇到登录面板与验证码中间页） — 已登录" in lines
    assert next(line for line in lines if " douyin-bjdy000bj " in line).endswith("（已登录抖音）")
