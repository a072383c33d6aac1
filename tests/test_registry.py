"""accounts.yaml loading: the valid shape, and every problem located as FILE:LINE: LOCATION: MESSAGE."""

from __future__ import annotations

import hashlib
import textwrap
from pathlib import Path

import pytest

from nmaudit.errors import RegistryError, UsageError
from nmaudit.html import SUPPORTED_CSS
from nmaudit.models import Account, Extract, Extractor, Policy
from nmaudit.registry import Registry, load_registry

VALID = """\
version: 1
policy:
  warn_idle_days: 5
  fail_idle_days: 10
defaults:
  region: 宝鸡市
  owner: 宝鸡市人民政府办公室
accounts:
  - id: baoji-police-weibo
    name: 平安宝鸡
    platform: weibo
    owner: 宝鸡市公安局
    certified_as: 宝鸡市公安局
    urls:
      - https://weibo.com/u/2710000001
    interaction: https://www.example.gov.cn/liuyan
    policy: {fail_idle_days: 7}
  - id: baoji.gov_wechat
    name: 宝鸡发布
    platform: WeChat
    region: 陈仓区
    urls: [https://mp.weixin.qq.com/s/abc, "http://www.baoji.gov.cn/"]
  - id: BJ-app-1
    name: "  爱宝鸡  "
    platform: app
    urls: [https://app.example.cn]
    policy:
      warn_idle_days: 3
"""

# One valid account, in flow style, for cases that break something else.
ACCOUNT = "{id: a, name: n, platform: weibo, owner: o, urls: ['https://a.cn']}"

# A valid web account in block style, for extract cases (line 3 is "- id: a"; extract follows on line 8).
WEB = "version: 1\naccounts:\n  - id: a\n    name: n\n    platform: web\n    owner: o\n    urls: [https://a.cn]\n"


def write(tmp_path: Path, text: str, name: str = "accounts.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problems(path: Path) -> list[str]:
    """The problems load_registry reports, with the 'FILE:' prefix checked and removed."""
    with pytest.raises(RegistryError) as info:
        load_registry(path)
    prefix = f"{path}:"
    assert all(p.startswith(prefix) for p in info.value.problems), info.value.problems
    assert str(info.value) == "\n".join(info.value.problems)
    return [p[len(prefix):] for p in info.value.problems]


# -- a valid registry --------------------------------------------------------------


def test_valid_registry_merges_defaults_and_policy(tmp_path):
    path = write(tmp_path, VALID)
    registry = load_registry(path)

    assert isinstance(registry, Registry)
    assert registry.path == str(path)
    assert registry.version == 1
    assert registry.policy == Policy(warn_idle_days=5, fail_idle_days=10)
    assert registry.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    police, wechat, app = registry.accounts

    assert police == Account(
        id="baoji-police-weibo",
        name="平安宝鸡",
        platform="weibo",
        owner="宝鸡市公安局",  # the account's own value beats the default
        certified_as="宝鸡市公安局",
        region="宝鸡市",  # from defaults
        urls=["https://weibo.com/u/2710000001"],
        interaction="https://www.example.gov.cn/liuyan",
        policy=Policy(warn_idle_days=5, fail_idle_days=7),  # override merged over the registry's
        line=9,
    )
    assert wechat.platform == "wechat"  # accepted case-insensitively, stored lower-case
    assert wechat.owner == "宝鸡市人民政府办公室"
    assert wechat.region == "陈仓区"
    assert wechat.certified_as is None and wechat.interaction is None
    assert wechat.urls == ["https://mp.weixin.qq.com/s/abc", "http://www.baoji.gov.cn/"]
    assert wechat.policy == registry.policy
    assert wechat.line == 18
    assert app.name == "爱宝鸡"  # stripped
    assert app.policy == Policy(warn_idle_days=3, fail_idle_days=10)
    assert app.line == 23


def test_minimal_registry_uses_model_defaults(tmp_path):
    registry = load_registry(write(tmp_path, f"version: 1\naccounts:\n  - {ACCOUNT}\n"))
    assert registry.policy == Policy()
    assert registry.accounts[0].policy == Policy()
    assert registry.accounts[0].region is None
    assert registry.accounts[0].line == 3


def test_path_reported_as_given(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "version: 2\naccounts:\n  - " + ACCOUNT + "\n", name="reg.yaml")
    with pytest.raises(RegistryError) as info:
        load_registry("reg.yaml")
    assert info.value.problems == ["reg.yaml:1: version: unsupported version 2 (expected 1)"]


def test_numbers_and_yaml_words_are_kept_as_text_as_written(tmp_path):
    path = write(tmp_path, """\
        version: 1
        accounts:
          - id: 007
            name: 2024
            platform: web
            owner: 1.50
            region: yes
            certified_as: 2024-01-01
            urls: [https://a.cn]
        """)
    account = load_registry(path).accounts[0]
    assert (account.id, account.name, account.owner, account.region, account.certified_as) == (
        "007", "2024", "1.50", "yes", "2024-01-01"
    )


def test_empty_optional_value_clears_a_default(tmp_path):
    path = write(tmp_path, f"""\
        version: 1
        defaults: {{region: 宝鸡市, certified_as: X}}
        accounts:
          - {{id: a, name: n, platform: weibo, owner: o, urls: ['https://a.cn'], region: ~, certified_as: ''}}
        """)
    account = load_registry(path).accounts[0]
    assert account.region is None and account.certified_as is None


def test_quoted_whole_numbers_are_accepted(tmp_path):
    path = write(tmp_path, f"version: '1'\npolicy: {{warn_idle_days: '3'}}\naccounts:\n  - {ACCOUNT}\n")
    assert load_registry(path).policy == Policy(warn_idle_days=3, fail_idle_days=14)


def test_yaml_merge_keys_work_like_safe_load(tmp_path):
    path = write(tmp_path, """\
        version: 1
        accounts:
          - &base
            id: a
            name: n
            platform: weibo
            owner: o
            urls: [https://a.cn]
          - <<: *base
            id: b
            platform: web
        """)
    a, b = load_registry(path).accounts
    assert (b.id, b.name, b.platform, b.owner, b.line) == ("b", "n", "web", "o", 9)


def test_feed_extract_and_sources(tmp_path):
    path = write(tmp_path, """\
        version: 1
        policy: {sources: [Sogou]}
        accounts:
          - id: douyin
            name: 平安宝鸡
            platform: web
            owner: 宝鸡市公安局
            urls: [https://www.douyin.com/user/MS4wLjABAAAA]
            extract:
              name: {css: "#user > h1[data-e2e=user-name]"}
              certification: {css: "span.verify", regex: "认证：(.+)"}
              posts: {css: "li .time", attr: data-ts, format: "%s"}
              lists_newest: false
          - id: weibo
            name: 平安宝鸡
            platform: weibo
            owner: 宝鸡市公安局
            urls: [https://weibo.com/u/1]
            feed: https://rsshub.example.gov.cn/weibo/user/1
            policy: {sources: []}
          - id: wechat
            name: 宝鸡发布
            platform: wechat
            owner: 宝鸡市人民政府办公室
            urls: [https://mp.weixin.qq.com/s/abc]
            extract: ~
            policy: {warn_idle_days: 3}
        """)
    registry = load_registry(path)
    douyin, weibo, wechat = registry.accounts
    assert registry.policy.sources == ["sogou"]  # accepted case-insensitively
    assert douyin.extract == Extract(
        name=Extractor(css="#user > h1[data-e2e=user-name]"),
        certification=Extractor(css="span.verify", regex="认证：(.+)"),
        posts=Extractor(css="li .time", attr="data-ts", format="%s"),
        lists_newest=False,
    )
    assert douyin.feed is None and douyin.policy.sources == ["sogou"]
    assert weibo.feed == "https://rsshub.example.gov.cn/weibo/user/1" and weibo.extract is None
    assert weibo.policy.sources == []  # an account's list replaces the registry's
    assert wechat.extract is None and wechat.policy == Policy(warn_idle_days=3, sources=["sogou"])


def test_extract_keeps_lists_newest_true_by_default(tmp_path):
    path = write(tmp_path, """\
        version: 1
        accounts:
          - {id: a, name: n, platform: WEB, owner: o, urls: ['https://a.cn'], extract: {posts: {regex: '"createTime":(\\d+)'}}}
        """)
    extract = load_registry(path).accounts[0].extract
    assert extract.lists_newest and extract.posts.regex == '"createTime":(\\d+)'


def test_utf8_bom_is_tolerated(tmp_path):
    path = tmp_path / "accounts.yaml"
    path.write_bytes(("\ufeffversion: 1\naccounts:\n  - " + ACCOUNT + "\n").encode("utf-8"))
    assert load_registry(path).accounts[0].line == 3


def test_file_is_left_untouched(tmp_path):
    good = write(tmp_path, VALID, "good.yaml")
    bad = write(tmp_path, "version: 2\nfoo: 1\n", "bad.yaml")
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in (good, bad)}
    load_registry(good)
    with pytest.raises(RegistryError):
        load_registry(bad)
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in (good, bad)} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml", "good.yaml"]


# -- one problem each --------------------------------------------------------------

CASES = [
    pytest.param(
        f"""\
        version: 1
        accounts:
          - {ACCOUNT}
          - {{id: b, name: n, platform: weibo, owner: o, urls: ['https://a.cn']}}
          - {{id: c, name: n, platform: weibo, owner: o, urls: ['https://a.cn']}}
          - id: d
            name: n
            platform: wexin
            owner: o
            urls: [https://a.cn]
        """,
        ["8: accounts[3].platform: unknown platform 'wexin' (expected wechat, weibo, app, web)"],
        id="bad platform",
    ),
    pytest.param(
        f"version: 1\nfoo: 1\naccounts:\n  - {ACCOUNT}\n",
        ["2: foo: unknown key 'foo'"],
        id="unknown top-level key",
    ),
    pytest.param(
        f"version: 1\naccounts:\n  - {ACCOUNT}\n  - {{id: b, name: n, platform: web, owner: o, urls: ['https://b.cn'], foo: 1}}\n",
        ["4: accounts[1].foo: unknown key 'foo'"],
        id="unknown account key",
    ),
    pytest.param(
        f"version: 1\npolicy:\n  foo: 3\ndefaults:\n  bar: 1\naccounts:\n  - id: a\n    name: n\n    platform: weibo\n    owner: o\n    urls: [https://a.cn]\n    policy:\n      baz: 2\n",
        [
            "3: policy.foo: unknown key 'foo'",
            "5: defaults.bar: unknown key 'bar'",
            "13: accounts[0].policy.baz: unknown key 'baz'",
        ],
        id="unknown keys in policy, defaults, account policy",
    ),
    pytest.param(
        f"version: 1\naccounts:\n  - {ACCOUNT}\n  - url: https://a.cn\n    id: b\n    name: n\n    platform: weibo\n    owner: o\n    urls: [https://a.cn]\n",
        ["4: accounts[1].url: unknown key 'url' (did you mean 'urls'?)"],
        id="unknown key that looks like a typo",
    ),
    pytest.param(
        f"version: 1\naccounts:\n  - {ACCOUNT}\n  - id: b\n    name: n\n    platform: weibo\n    urls: [https://a.cn]\n",
        ["4: accounts[1].owner: required field missing"],
        id="missing required field",
    ),
    pytest.param(
        "version: 1\naccounts:\n  - foo: 1\n",
        [
            "3: accounts[0].foo: unknown key 'foo'",
            "3: accounts[0].id: required field missing",
            "3: accounts[0].name: required field missing",
            "3: accounts[0].platform: required field missing",
            "3: accounts[0].owner: required field missing",
        ],
        id="all required fields missing",
    ),
    pytest.param(
        "version: 1\naccounts:\n  - id: a\n    name: n\n    platform: web\n    owner: o\n",
        ["3: accounts[0].urls: required field missing (platform web needs urls, or ids/site naming the platform)"],
        id="web needs urls, ids or site",
    ),
    pytest.param(
        "version: 1\naccounts:\n  - id: a\n    name: n\n    platform: weibo\n    owner: o\n    ids:\n"
        "      uid: 12a\n      wechat_id: gh_0123456789ab\n      domain: '-x'\n",
        [
            "8: accounts[0].ids.uid: not a valid 微博UID '12a' (expected digits only)",
            "9: accounts[0].ids.wechat_id: 'gh_0123456789ab' is a 原始ID, not a 微信号: file it as gh_id",
            "9: accounts[0].ids.wechat_id: 微信号 is for platform wechat, not weibo (ids of weibo: uid, domain)",
            "10: accounts[0].ids.domain: not a valid 微博个性域名 '-x' (expected letters, digits, '_', '-' and '.')",
        ],
        id="identities checked for form and platform",
    ),
    pytest.param(
        "version: 1\naccounts:\n  - id: a\n    name: n\n    platform: web\n    owner: o\n    site: douyin\n"
        "    ids: {toutiao: abc, weibo: x}\n  - id: b\n    name: n\n    platform: app\n    owner: o\n    site: tiktok\n",
        [
            "7: accounts[0].site: site 'douyin' does not match ids (toutiao)",
            "8: accounts[0].ids.weibo: unknown key 'weibo'",
            "13: accounts[1].site: unknown site 'tiktok' (expected douyin, toutiao, kuaishou, bilibili, xiaohongshu, "
            "channels, baijiahao, netease)",
        ],
        id="site and ids of web",
    ),
    pytest.param(
        f"version: 1\naccounts:\n  - {ACCOUNT}\n  - {ACCOUNT}\n  - id: a\n    name: n\n    platform: web\n    owner: o\n    urls: [https://a.cn]\n",
        [
            "4: accounts[1].id: duplicate id 'a' (first at line 3)",
            "5: accounts[2].id: duplicate id 'a' (first at line 3)",
        ],
        id="duplicate id",
    ),
    pytest.param(
        "version: 1\naccounts:\n  - id: a b\n    name: n\n    platform: web\n    owner: o\n    urls: [https://a.cn]\n",
        ["3: accounts[0].id: invalid id 'a b' (use letters, digits, '.', '_' and '-')"],
        id="bad id characters",
    ),
    pytest.param(
        "version: 1\naccounts:\n  - id: 宝鸡\n    name: n\n    platform: web\n    owner: o\n    urls: [https://a.cn]\n",
        ["3: accounts[0].id: invalid id '宝鸡' (use letters, digits, '.', '_' and '-')"],
        id="non-ASCII id",
    ),
    pytest.param(
        "version: 1\naccounts:\n  - id: ..\n    name: n\n    platform: web\n    owner: o\n    urls: [https://a.cn]\n",
        ["3: accounts[0].id: invalid id '..' (must start with a letter or digit)"],
        id="id that is not a safe file name",
    ),
    pytest.param(
        "version: 1\naccounts:\n  - id: a\n    name: n\n    platform: web\n    owner: o\n    urls:\n      - https://a.cn\n      - ftp://x\n",
        ["9: accounts[0].urls[1]: not an http(s) URL: 'ftp://x'"],
        id="non-http URL",
    ),
    pytest.param(
        "version: 1\naccounts:\n  - id: a\n    name: n\n    platform: web\n    owner: o\n    urls: ['https://', 'www.a.cn', 'https://a b.cn']\n",
        [
            "7: accounts[0].urls[0]: not an http(s) URL: 'https://'",
            "7: accounts[0].urls[1]: not an http(s) URL: 'www.a.cn'",
            "7: accounts[0].urls[2]: not an http(s) URL: 'https://a b.cn'",
        ],
        id="URLs without host, scheme, or with spaces",
    ),
    pytest.param(
        "version: 1\naccounts:\n  - id: a\n    name: n\n    platform: web\n    owner: o\n    urls: [https://a.cn]\n    interaction: mailto:x@a.cn\n",
        ["8: accounts[0].interaction: not an http(s) URL: 'mailto:x@a.cn'"],
        id="non-http interaction",
    ),
    pytest.param(
        "version: 1\naccounts:\n  - id: a\n    name: n\n    platform: web\n    owner: o\n    urls: []\n",
        ["7: accounts[0].urls: at least one URL is required"],
        id="empty urls",
    ),
    pytest.param(
        "version: 1\naccounts:\n  - id: a\n    name: n\n    platform: web\n    owner: o\n    urls:\n",
        ["7: accounts[0].urls: at least one URL is required"],
        id="null urls",
    ),
    pytest.param(
        "version: 1\naccounts:\n  - id: a\n    name: n\n    platform: web\n    owner: o\n    urls: https://a.cn\n",
        ["7: accounts[0].urls: expected a list of URLs"],
        id="urls as a string",
    ),
    pytest.param(
        "version: 1\naccounts:\n  - id: a\n    name: n\n    platform: web\n    owner: o\n    urls:\n      - {u: 1}\n",
        ["8: accounts[0].urls[0]: expected a URL"],
        id="url as a mapping",
    ),
    pytest.param(
        "version: 1\naccounts:\n  - id: a\n    name:\n      - n\n    platform: web\n    owner: {x: 1}\n    urls: [https://a.cn]\n",
        [
            "4: accounts[0].name: expected text",
            "7: accounts[0].owner: expected text",
        ],
        id="text as a list or mapping",
    ),
    pytest.param(
        "version: 1\naccounts:\n  - id: '  '\n    name: ''\n    platform:\n    owner: ~\n    urls: [https://a.cn]\n",
        [
            "3: accounts[0].id: must not be empty",
            "4: accounts[0].name: must not be empty",
            "5: accounts[0].platform: must not be empty",
            "6: accounts[0].owner: must not be empty",
        ],
        id="empty required text",
    ),
    pytest.param(
        f"version: 1\npolicy:\n  warn_idle_days: seven\n  fail_idle_days: 0\naccounts:\n  - {ACCOUNT}\n",
        [
            "3: policy.warn_idle_days: expected a whole number >= 1",
            "4: policy.fail_idle_days: expected a whole number >= 1",
        ],
        id="policy not whole numbers",
    ),
    pytest.param(
        f"version: 1\npolicy: {{warn_idle_days: 2.5, fail_idle_days: true}}\naccounts:\n  - {ACCOUNT}\n",
        [
            "2: policy.warn_idle_days: expected a whole number >= 1",
            "2: policy.fail_idle_days: expected a whole number >= 1",
        ],
        id="policy float and boolean",
    ),
    pytest.param(
        f"version: 1\npolicy:\n  - 7\ndefaults: [1]\naccounts:\n  - id: a\n    name: n\n    platform: web\n    owner: o\n    urls: [https://a.cn]\n    policy: 7\n",
        [
            "2: policy: expected a mapping",
            "4: defaults: expected a mapping",
            "11: accounts[0].policy: expected a mapping",
        ],
        id="mappings of the wrong type",
    ),
    pytest.param(
        f"version: 1\naccounts:\n  - {ACCOUNT}\n  - just text\n  - [a, b]\n",
        ["4: accounts[1]: expected a mapping", "5: accounts[2]: expected a mapping"],
        id="account not a mapping",
    ),
    pytest.param(
        f"version: 2\naccounts:\n  - {ACCOUNT}\n",
        ["1: version: unsupported version 2 (expected 1)"],
        id="version 2",
    ),
    pytest.param(
        f"# registry\naccounts:\n  - {ACCOUNT}\n",
        ["2: version: required field missing"],
        id="version missing",
    ),
    pytest.param(
        f"version: one\naccounts:\n  - {ACCOUNT}\n",
        ["1: version: unsupported version 'one' (expected 1)"],
        id="version not a number",
    ),
    pytest.param("version: 1\n", ["1: accounts: required field missing"], id="accounts missing"),
    pytest.param(
        "version: 1\naccounts: []\n", ["2: accounts: at least one account is required"], id="accounts empty"
    ),
    pytest.param(
        "version: 1\naccounts:\n", ["2: accounts: at least one account is required"], id="accounts null"
    ),
    pytest.param(
        "version: 1\naccounts:\n  a: 1\n", ["2: accounts: expected a list of accounts"], id="accounts a mapping"
    ),
    pytest.param(
        f"version: 1\npolicy:\n  warn_idle_days: 10\n  fail_idle_days: 7\naccounts:\n  - {ACCOUNT}\n",
        ["2: policy: warn_idle_days (10) is greater than fail_idle_days (7)"],
        id="registry policy warn > fail",
    ),
    pytest.param(
        f"version: 1\npolicy: {{fail_idle_days: 5}}\naccounts:\n  - {ACCOUNT}\n",
        ["2: policy: warn_idle_days (7) is greater than fail_idle_days (5)"],
        id="registry policy warn > fail with the default warn",
    ),
    pytest.param(
        "version: 1\npolicy: {warn_idle_days: 10, fail_idle_days: 20}\naccounts:\n"
        "  - id: a\n    name: n\n    platform: web\n    owner: o\n    urls: [https://a.cn]\n"
        "    policy:\n      fail_idle_days: 7\n",
        ["9: accounts[0].policy: warn_idle_days (10) is greater than fail_idle_days (7)"],
        id="account policy warn > fail after merging",
    ),
    pytest.param(
        f"version: 1\nversion: 1\naccounts:\n  - {ACCOUNT}\n",
        ["2: version: duplicate key 'version' (first at line 1)"],
        id="duplicate key",
    ),
    pytest.param(
        f"version: 1\ndefaults:\n  id: x\n  policy: {{}}\naccounts:\n  - {ACCOUNT}\n",
        [
            "3: defaults.id: 'id' cannot have a default (each account needs its own)",
            "4: defaults.policy: 'policy' cannot have a default (use the top-level policy)",
        ],
        id="defaults that cannot be defaults",
    ),
    pytest.param(
        "version: 1\ndefaults:\n  platform: wexin\naccounts:\n  - {id: a, name: n, owner: o, urls: ['https://a.cn']}\n",
        ["3: defaults.platform: unknown platform 'wexin' (expected wechat, weibo, app, web)"],
        id="bad default reported once, not as missing in each account",
    ),
    pytest.param(
        "version: 1\naccounts:\n  - id: a\n    name: [n\n",
        ["4: yaml: expected ',' or ']', but got '<stream end>'"],
        id="yaml syntax error",
    ),
    pytest.param(
        "version: 1\naccounts:\n  - id: a\n    name: n: m\n",
        ["4: yaml: mapping values are not allowed here"],
        id="yaml colon in a plain value",
    ),
    pytest.param(
        "version: 1\naccounts:\n\t- id: a\n",
        ["3: yaml: found character '\\t' that cannot start any token"],
        id="yaml tab",
    ),
    pytest.param(
        "version: 1\n---\nversion: 1\n",
        ["2: yaml: expected a single document in the stream, but found another document"],
        id="yaml two documents",
    ),
    pytest.param(
        f"version: 1\ndefaults:\n  feed: https://rsshub.app/weibo/user/1\n  extract: {{name: {{css: h1}}}}\naccounts:\n  - {ACCOUNT}\n",
        [
            "3: defaults.feed: 'feed' cannot have a default (each account has its own feed)",
            "4: defaults.extract: 'extract' cannot have a default (share one with a YAML anchor: extract: *name)",
        ],
        id="feed and extract cannot be defaults",
    ),
    pytest.param(
        "version: 1\naccounts:\n  - id: a\n    name: n\n    platform: weibo\n    owner: o\n    urls: [https://a.cn]\n"
        "    feed: feed://rsshub.app/weibo/user/1\n",
        ["8: accounts[0].feed: not an http(s) URL: 'feed://rsshub.app/weibo/user/1'"],
        id="feed not http",
    ),
    pytest.param(
        "version: 1\naccounts:\n  - id: a\n    name: n\n    platform: weibo\n    owner: o\n    urls: [https://a.cn]\n"
        "    extract:\n      name: {css: h1}\n",
        ["8: accounts[0].extract: extract is only for platform web"],
        id="extract on another platform",
    ),
    pytest.param(
        "version: 1\ndefaults: {platform: douyin}\naccounts:\n  - id: a\n    name: n\n    owner: o\n    urls: [https://a.cn]\n"
        "    extract: {name: {css: h1}}\n",
        ["2: defaults.platform: unknown platform 'douyin' (expected wechat, weibo, app, web)"],
        id="extract with an invalid platform: the platform alone is reported",
    ),
    pytest.param(
        WEB + "    extract: {}\n",
        ["8: accounts[0].extract: expected at least one of name, certification, posts"],
        id="extract empty",
    ),
    pytest.param(
        WEB + "    extract: {lists_newest: false}\n",
        ["8: accounts[0].extract: expected at least one of name, certification, posts"],
        id="extract with only lists_newest",
    ),
    pytest.param(
        WEB + "    extract: h1\n",
        ["8: accounts[0].extract: expected a mapping"],
        id="extract not a mapping",
    ),
    pytest.param(
        WEB + "    extract:\n      title: {css: h1}\n      posts: .time\n      lists_newest: 'no'\n",
        [
            "9: accounts[0].extract.title: unknown key 'title'",
            "10: accounts[0].extract.posts: expected a mapping",
            "11: accounts[0].extract.lists_newest: expected true or false",
        ],
        id="extract keys and types",
    ),
    pytest.param(
        WEB + "    extract:\n      name: {css: h1, xpath: //h1}\n      posts: {format: '%Y-%m-%d'}\n",
        [
            "9: accounts[0].extract.name.xpath: unknown key 'xpath'",
            "10: accounts[0].extract.posts: expected css, regex or json",
        ],
        id="extractor without css or regex",
    ),
    pytest.param(
        WEB + "    extract:\n      name: {css: ''}\n      posts: {regex: ~}\n",
        [
            "9: accounts[0].extract.name.css: must not be empty",
            "10: accounts[0].extract.posts.regex: must not be empty",
        ],
        id="extractor with empty values",
    ),
    pytest.param(
        WEB + "    extract:\n      name:\n        css: 'div.user:frist-child h1'\n"
        "      certification: {css: 'ul li,'}\n      posts: {css: 'li ~'}\n",
        [
            f"10: accounts[0].extract.name.css: invalid CSS selector 'div.user:frist-child h1' at "
            f"':frist-child h1' (supported: {SUPPORTED_CSS})",
            f"11: accounts[0].extract.certification.css: invalid CSS selector 'ul li,': it ends with a comma "
            f"(supported: {SUPPORTED_CSS})",
            f"12: accounts[0].extract.posts.css: invalid CSS selector 'li ~': it ends with a combinator "
            f"(supported: {SUPPORTED_CSS})",
        ],
        id="css that is not a selector",
    ),
    pytest.param(
        WEB + "    extract:\n      name: {css: 'div > > h1'}\n      posts: {css: \"a[href^='/video/' li\"}\n",
        [
            f"9: accounts[0].extract.name.css: invalid CSS selector 'div > > h1' at '> > h1': > > in a row "
            f"(supported: {SUPPORTED_CSS})",
            f"10: accounts[0].extract.posts.css: invalid CSS selector 'a[href^='/video/' li' at "
            f"'[href^='/video/' li': '[' is never closed (supported: {SUPPORTED_CSS})",
        ],
        id="css with two combinators in a row, an unclosed bracket",
    ),
    pytest.param(
        WEB + "    extract:\n      name: {regex: '平安(宝鸡'}\n      posts: {css: li, regex: '[0-9'}\n",
        [
            "9: accounts[0].extract.name.regex: invalid regular expression: missing ), unterminated subpattern "
            "at position 2",
            "10: accounts[0].extract.posts.regex: invalid regular expression: unterminated character set at position 0",
        ],
        id="regex that does not compile",
    ),
    pytest.param(
        WEB + "    extract:\n      name: {css: h1, format: '%Y'}\n      posts: {css: li, format: YYYY-MM-DD}\n",
        [
            "9: accounts[0].extract.name.format: format is only for posts (dates)",
            "10: accounts[0].extract.posts.format: no % directive in format 'YYYY-MM-DD' (a strptime format like "
            "'%Y-%m-%d %H:%M', or '%s' for Unix seconds)",
        ],
        id="format without a directive, format on a name",
    ),
    pytest.param(
        WEB + "    extract:\n      posts: {regex: 'ts=(\\d+)', attr: data-ts}\n",
        ["9: accounts[0].extract.posts.attr: attr needs css (the elements whose attribute to read)"],
        id="attr without css",
    ),
    pytest.param(
        f"version: 1\npolicy:\n  sources: [sogou, weixin]\naccounts:\n  - {ACCOUNT}\n",
        ["3: policy.sources[1]: unknown source 'weixin' (expected sogou)"],
        id="unknown source",
    ),
    pytest.param(
        "version: 1\npolicy: {sources: sogou}\naccounts:\n  - id: a\n    name: n\n    platform: web\n    owner: o\n"
        "    urls: [https://a.cn]\n    policy:\n      sources:\n        - sogou\n        - [x]\n",
        [
            "2: policy.sources: expected a list of sources (sogou)",
            "12: accounts[0].policy.sources[1]: unknown source (not text) (expected sogou)",
        ],
        id="sources not a list, a source not text",
    ),
    pytest.param("", ["1: expected a mapping with version and accounts"], id="empty file"),
    pytest.param("- a\n- b\n", ["1: expected a mapping with version and accounts"], id="top-level list"),
    pytest.param("accounts.yaml\n", ["1: expected a mapping with version and accounts"], id="top-level text"),
]


@pytest.mark.parametrize("text, expected", CASES)
def test_problem(tmp_path, text, expected):
    assert problems(write(tmp_path, text)) == expected


def test_every_problem_at_once_sorted_by_line(tmp_path):
    path = write(tmp_path, """\
        version: 2
        accounts:
          - id: a b
            name: n
            platform: wexin
            owner: o
            urls: [ftp://x]
          - id: ok
            name: n
            platform: web
            urls: https://a.cn
            policy: {warn_idle_days: 9, fail_idle_days: 8}
          - id: ok
            name: n
            platform: web
            owner: o
            urls: [https://a.cn]
            extra: 1
        foo: bar
        """)
    assert problems(path) == [
        "1: version: unsupported version 2 (expected 1)",
        "3: accounts[0].id: invalid id 'a b' (use letters, digits, '.', '_' and '-')",
        "5: accounts[0].platform: unknown platform 'wexin' (expected wechat, weibo, app, web)",
        "7: accounts[0].urls[0]: not an http(s) URL: 'ftp://x'",
        "8: accounts[1].owner: required field missing",
        "11: accounts[1].urls: expected a list of URLs",
        "12: accounts[1].policy: warn_idle_days (9) is greater than fail_idle_days (8)",
        "13: accounts[2].id: duplicate id 'ok' (first at line 8)",
        "18: accounts[2].extra: unknown key 'extra' (did you mean 'extract'?)",
        "19: foo: unknown key 'foo'",
    ]


# -- files that cannot be read -------------------------------------------------------


def test_missing_file(tmp_path):
    path = tmp_path / "nope.yaml"
    with pytest.raises(RegistryError) as info:
        load_registry(path)
    assert info.value.problems == [f"{path}: cannot read: No such file or directory"]


def test_directory(tmp_path):
    with pytest.raises(RegistryError) as info:
        load_registry(tmp_path)
    [problem] = info.value.problems
    assert problem.startswith(f"{tmp_path}: cannot read: ")


def test_not_utf8(tmp_path):
    path = tmp_path / "accounts.yaml"
    # GBK, as Chinese Windows editors save: 平 (c6 bd) happens to be valid UTF-8, 安 (b0 b2) is not.
    path.write_bytes("version: 1\nname: 平安宝鸡\n".encode("gbk"))
    with pytest.raises(RegistryError) as info:
        load_registry(path)
    assert info.value.problems == [
        f"{path}: cannot read: not UTF-8 (byte 0xb0 on line 2); save the file as UTF-8"
    ]


def test_control_character(tmp_path):
    path = tmp_path / "accounts.yaml"
    path.write_text("version: 1\nfoo: a\x07b\n", encoding="utf-8")
    with pytest.raises(RegistryError) as info:
        load_registry(path)
    assert info.value.problems == [
        f"{path}:2: yaml: unacceptable character #x0007: special characters are not allowed"
    ]


# -- select() ------------------------------------------------------------------------


@pytest.fixture
def registry(tmp_path) -> Registry:
    return load_registry(write(tmp_path, VALID))


def test_select_keeps_registry_order(registry):
    picked = registry.select(["BJ-app-1", "baoji-police-weibo", "BJ-app-1"])
    assert [a.id for a in picked] == ["baoji-police-weibo", "BJ-app-1"]
    assert registry.select([]) == []


@pytest.mark.parametrize(
    "only, message",
    [
        (["nope"], "unknown account id 'nope' (not in accounts.yaml)"),
        (
            ["x", "baoji-police-weibo", "y", "x"],
            "unknown account ids 'x', 'y' (not in accounts.yaml)",
        ),
        (["bj-app-1"], "unknown account id 'bj-app-1' (not in accounts.yaml)"),  # ids are case-sensitive
    ],
)
def test_select_unknown_ids(registry, only, message):
    with pytest.raises(UsageError) as info:
        registry.select(only)
    assert str(info.value) == message


def test_with_sources_turns_on_an_opt_in_source_for_every_account(tmp_path):
    from nmaudit.registry import with_sources

    path = tmp_path / "accounts.yaml"
    path.write_text(
        "version: 1\naccounts:\n"
        "  - {id: a, name: 宝鸡发布, platform: wechat, owner: 宝鸡市政府办, urls: ['https://mp.weixin.qq.com/s/x']}\n"
        "  - {id: b, name: 宝鸡发布, platform: wechat, owner: 宝鸡市政府办, urls: ['https://mp.weixin.qq.com/s/y'],"
        " policy: {sources: [sogou]}}\n",
        encoding="utf-8",
    )
    accounts = load_registry(path).accounts
    assert [a.policy.sources for a in with_sources(accounts, ["sogou"])] == [["sogou"], ["sogou"]]
    assert with_sources(accounts, []) is accounts
    assert accounts[0].policy.sources == []  # the registry's own records are left as filed


def test_identities_make_urls_optional(tmp_path):
    """A row that files only a 微信号, an 原始ID, a UID, a 抖音号 or (WeChat, Weibo, apps) only its name loads."""
    path = write(tmp_path, """version: 1
accounts:
  - {id: w1, name: 宝鸡发布, platform: wechat, owner: 宝鸡市, ids: {wechat_id: baojifabu}}
  - {id: w2, name: 岐山发布, platform: wechat, owner: 岐山县, ids: {gh_id: GH_0123456789AB}}
  - {id: w3, name: 太白发布, platform: wechat, owner: 太白县}
  - {id: b1, name: 平安宝鸡, platform: weibo, owner: 公安局, ids: {uid: '2710000001', domain: pinganbaoji}}
  - {id: a1, name: 宝鸡政务, platform: app, owner: 大数据局, ids: {appstore_id: id1234567, package: cn.gov.baoji}}
  - {id: d1, name: 宝鸡公安, platform: web, owner: 公安局, ids: {douyin: baojigongan}}
  - {id: t1, name: 宝鸡发布, platform: web, owner: 新闻办, site: Toutiao}
""")
    accounts = {a.id: a for a in load_registry(path).accounts}
    assert accounts["w1"].urls == [] and accounts["w1"].ids.filled() == {"wechat_id": "baojifabu"}
    assert accounts["w2"].ids.gh_id == "gh_0123456789ab"  # as WeChat writes it
    assert accounts["w3"].ids.filled() == {}
    assert accounts["b1"].ids.filled() == {"uid": "2710000001", "domain": "pinganbaoji"}
    assert accounts["a1"].ids.appstore_id == "1234567"  # the 'id' of the App Store URL is dropped
    assert accounts["d1"].site_key == "douyin" and accounts["t1"].site_key == "toutiao"
    assert accounts["w1"].site_key is None

