"""Hostile input: registries built to crash or stall the loader, workbooks built to crash or
swamp the import, and paths built to make the review app fail. One test per defect."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from nmaudit.errors import RegistryError
from nmaudit.registry import load_registry

ACCOUNT = """  - id: a{n}
    name: 宝鸡发布
    platform: weibo
    owner: 宝鸡市人民政府新闻办公室
    urls: [https://weibo.com/u/{uid}]
"""


def problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "accounts.yaml"
    path.write_text(text, encoding="utf-8")
    started = time.monotonic()
    with pytest.raises(RegistryError) as caught:
        load_registry(path)
    assert time.monotonic() - started < 5, "a hostile registry must be refused fast"
    for problem in caught.value.problems:
        assert "\n" not in problem and "\r" not in problem and len(problem) <= 400
        assert problem.startswith(f"{path}:")
    return caught.value.problems


def test_deep_yaml_nesting_is_a_clear_error_not_recursionerror(tmp_path: Path):
    flow = "version: 1\naccounts: " + "[" * 10_000 + "]" * 10_000 + "\n"
    assert "nesting depth" in problems(tmp_path, flow)[0]
    block = "version: 1\naccounts:\n" + "".join(" " * (i + 2) + "k:\n" for i in range(3000))
    assert "nesting depth" in problems(tmp_path, block)[0]


def test_deep_merge_key_chain_is_a_clear_error(tmp_path: Path):
    chain = "{x: 1}"
    for _ in range(990):  # libyaml's own limit is 1,000 levels
        chain = "{<<: " + chain + "}"
    found = problems(tmp_path, f"version: 1\ndefaults: {chain}\naccounts:\n" + ACCOUNT.format(n=1, uid=2710000001))
    assert "merge keys (<<) nested too deeply" in found[0]


def test_integer_over_4300_digits_is_refused_not_a_crash(tmp_path: Path):
    huge = "9" * 5000
    found = problems(tmp_path, f"version: {huge}\naccounts:\n" + ACCOUNT.format(n=1, uid=2710000001))
    assert "unsupported version" in found[0] and found[0].endswith("…")
    found = problems(tmp_path, f"version: 1\npolicy: {{fail_idle_days: {huge}}}\naccounts:\n"
                     + ACCOUNT.format(n=1, uid=2710000001))
    assert "fail_idle_days" in found[0]


def test_merge_key_billion_laughs_is_refused_fast(tmp_path: Path):
    lines = ["version: 1", "x0: &x0 {a: 1, b: 2}"]
    for level in range(1, 40):
        lines.append(f"x{level}: &x{level} {{<<: [*x{level - 1}], m{level}: {{<<: *x{level - 1}}}, "
                     f"n{level}: {{<<: *x{level - 1}}}}}")
    lines.append("defaults: {<<: *x39}")
    lines += ["accounts:", ACCOUNT.format(n=1, uid=2710000001)]
    found = problems(tmp_path, "\n".join(lines))
    assert "expand to more than" in found[0]


def test_alias_billion_laughs_is_refused_fast(tmp_path: Path):
    lines = ["version: 1", "l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, 10)]
    lines += ["accounts: *l9"]
    assert "expand to more than" in problems(tmp_path, "\n".join(lines))[0]


def test_recursive_alias_is_refused(tmp_path: Path):
    found = problems(tmp_path, "version: 1\naccounts: &a\n  - *a\n")
    assert "recursive alias" in found[0] or "found undefined alias" in found[0]


def test_shared_anchors_still_load(tmp_path: Path):
    text = "version: 1\nx: &rules {css: h1}\naccounts:\n" + "".join(
        f"  - {{id: w{n}, name: 宝鸡发布, platform: web, owner: 宝鸡市政府, urls: ['https://www.douyin.com/user/{n}'],"
        f" extract: {{name: *rules}}}}\n" for n in range(50))
    path = tmp_path / "accounts.yaml"
    path.write_text(text.replace("x: &rules", "defaults: {region: 宝鸡市}\n_x: &rules"), encoding="utf-8")
    with pytest.raises(RegistryError) as caught:  # _x is not a registry key: reported, nothing else
        load_registry(path)
    assert [p for p in caught.value.problems if "unknown key '_x'" in p]
    assert len(caught.value.problems) == 1


def test_registry_error_lines_escape_newlines_and_escapes(tmp_path: Path):
    found = problems(tmp_path, 'version: 1\naccounts:\n  - id: a1\n    "x\\ny\\x1b[31m": 1\n')
    assert any("x\\ny\\x1b[31m" in problem for problem in found)


@pytest.mark.slow
def test_ten_megabyte_registry_loads_in_seconds(tmp_path: Path):
    path = tmp_path / "accounts.yaml"
    body = "".join(
        f"  - id: acc-{n:06d}\n    name: 宝鸡发布{n}\n    platform: weibo\n    owner: 宝鸡市人民政府新闻办公室\n"
        f"    certified_as: 宝鸡市人民政府新闻办公室\n    urls: [https://weibo.com/u/{2710000000 + n}]\n"
        f"    interaction: https://www.example.gov.cn/liuyan/{n}\n" for n in range(38_000))
    path.write_text("version: 1\ndefaults:\n  region: 宝鸡市\naccounts:\n" + body, encoding="utf-8")
    assert path.stat().st_size > 10_000_000
    started = time.monotonic()
    registry = load_registry(path)
    elapsed = time.monotonic() - started
    assert len(registry.accounts) == 38_000
    assert elapsed < 30, f"{elapsed:.1f}s"  # ~5 s on an idle 2-core machine; CI runners are busier
