"""Generic extract rules on what a page loads (extract.loads + json, a JMESPath) and on the
rendered DOM (extract.rendered): a platform without an adapter, audited from the registry alone.
"""

from __future__ import annotations

import textwrap
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from nmaudit.dates import BEIJING
from nmaudit.errors import RegistryError
from nmaudit.registry import load_registry
from nmaudit.platforms.web import json_values, post_time
from tests.conftest import by_id, codes, run_audit
from tests.emulator import Emulator
from tests.toutiao_site import ToutiaoSite, ToutiaoUser

AS_OF = datetime(2026, 11, 21, 10, 0, tzinfo=BEIJING)


def ago(days: float) -> datetime:
    return AS_OF - timedelta(days=days)


REGISTRY = """\
version: 1
accounts:
  - id: tt-active
    name: 宝鸡发布
    platform: web
    owner: 宝鸡市委网信办
    certified_as: 宝鸡市委网信办
    urls: [{active}]
    extract: &toutiao
      loads: /api/pc/list/feed\\?category=profile_all
      name: {{json: "data[0].user_info.name"}}
      certification: {{json: "data[0].user_info.verified_content"}}
      posts: {{json: "data[].publish_time", format: "%s"}}
  - id: tt-idle
    name: 宝鸡发布
    platform: web
    owner: 宝鸡市委网信办
    urls: [{idle}]
    extract: *toutiao
  - id: tt-rendered
    name: 宝鸡发布
    platform: web
    owner: 宝鸡市委网信办
    urls: [{active}]
    extract:
      rendered: true
      name: {{css: h1.name}}
      posts: {{css: .feed-card .time, attr: data-ts, format: "%s"}}
"""


@pytest.fixture(scope="module")
def audited(emulator: Emulator, tmp_path_factory) -> dict:
    site = ToutiaoSite(emulator)
    active = site.add(emulator, ToutiaoUser("MS4wLjABAAAA-baoji", "宝鸡发布", "宝鸡市委网信办官方账号", [ago(1), ago(5)]))
    idle = site.add(emulator, ToutiaoUser("MS4wLjABAAAA-idle", "宝鸡发布", "宝鸡市委网信办官方账号", [ago(40)]))
    folder = tmp_path_factory.mktemp("loaded-extract")
    path = folder / "accounts.yaml"
    path.write_text(REGISTRY.format(active=active, idle=idle), encoding="utf-8")
    registry = load_registry(path)
    result = by_id(run_audit(emulator, registry.accounts, folder, as_of=AS_OF))
    assert site.refused_calls == 0  # every call was the page's own, signed
    return result


def test_json_rules_read_what_the_page_loaded(audited):
    item = audited["tt-active"]
    assert item.judgement.verdict == "pass", codes(item)
    assert item.observation.name == "宝鸡发布" and item.observation.certification == "宝鸡市委网信办官方账号"
    assert item.observation.newest_post_at == ago(1).replace(microsecond=0)
    assert any(s.kind == "web-loaded" and "/api/pc/list/feed" in s.url for s in item.observation.sources)
    assert Path(item.observation.evidence[0]).suffix == ".jpg"


def test_an_idle_account_fails_on_json_rules(audited):
    item = audited["tt-idle"]
    assert item.judgement.verdict == "fail" and "stale-14d" in codes(item), codes(item)


def test_css_rules_read_the_rendered_dom(audited):
    item = audited["tt-rendered"]
    assert item.judgement.verdict == "pass", codes(item)
    assert item.observation.name == "宝鸡发布"  # the HTML as sent has an empty <h1>


HEAD = "version: 1\naccounts:\n  - id: a\n    name: n\n    platform: web\n    owner: o\n    urls: [https://a.cn]\n"


@pytest.mark.parametrize("text, expected", [
    (HEAD + "    extract:\n      loads: /feed\n      posts: {json: 'data[].publish_time', format: '%s'}\n"
            "      name: {json: 'data[0.name'}\n",
     ["11: accounts[0].extract.name.json: invalid JMESPath expression 'data[0.name': Expecting: rbracket, got: dot"]),
    (HEAD + "    extract:\n      name:\n        json: data.name\n",
     ["10: accounts[0].extract.name.json: json needs extract.loads (the URL pattern of the page's own call to read)"]),
    (HEAD + "    extract:\n      loads: ['/ok', '/feed(']\n      name: {json: data.name}\n",
     ["9: accounts[0].extract.loads[1]: invalid regular expression"]),
    (HEAD + "    extract:\n      loads: /feed\n      name: {json: data.name, css: h1}\n",
     ["10: accounts[0].extract.name.json: json and css cannot be combined"]),
])
def test_registry_errors_are_exact(tmp_path, text, expected):
    path = tmp_path / "accounts.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RegistryError) as info:
        load_registry(path)
    problems = [p[len(f"{path}:"):] for p in info.value.problems]
    assert len(problems) == len(expected), problems
    for problem, start in zip(problems, expected):
        assert problem.startswith(start), problems


def test_json_values_and_milliseconds():
    assert json_values([[1, 2], None, {"a": "宝"}, True]) == ["1", "2", '{"a": "宝"}', "true"]
    fetched = AS_OF
    assert post_time("1763690400000", "%s", fetched) == post_time("1763690400", "%s", fetched)
