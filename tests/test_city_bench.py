"""The city benchmark (bench/city.py): its emulated platforms pace as the real ones, its truth is what
the night holds, and a reduced night run end to end gives no false 不合格 and a table of the right shape."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bench.city import GROUPS, build_night, group, quick_rows
from tests.city_export import RUNNING
from tests.emulator import Emulator, Request
from tests.wechat_site import WechatSite
from tests.weibo_site import WeiboAccount, WeiboSite

ROOT = Path(__file__).resolve().parents[1]


def search(site: WechatSite, at: float, query: str = "bjwx000bj"):
    return site._sogou(Request(host="weixin.sogou.com", path="/weixin", query={"type": "1", "query": query},
                               headers={}, at=at))


def is_wall(reply) -> bool:
    return reply.status == 302 and "/antispider/" in reply.headers["Location"]


def test_sogou_walls_a_search_sooner_than_its_pace_and_keeps_the_wall_for_a_while():
    site = WechatSite(Emulator())
    site.sogou_patience, site.sogou_wall_for = 10.0, 600.0
    assert not is_wall(search(site, 100.0))
    assert not is_wall(search(site, 111.0))  # 11 s later: paced
    assert is_wall(search(site, 120.0))  # 9 s later: too soon
    assert is_wall(search(site, 140.0)) and is_wall(search(site, 719.0))  # the wall stays 600 s...
    assert not is_wall(search(site, 721.0 + 10))  # ...from the search that came too soon
    assert (site.sogou_searches, site.sogou_walled) == (6, 3)


def test_sogou_without_a_pace_answers_every_search():
    site = WechatSite(Emulator())
    assert not any(is_wall(search(site, at)) for at in (1.0, 1.1, 1.2))


def test_weibo_answers_418_to_a_call_sooner_than_its_pace():
    site = WeiboSite(Emulator(), [WeiboAccount("2710100000")])
    site.patience = 0.4

    def call(at: float) -> int:
        return site.answer(Request(host="m.weibo.cn", path="/api/container/getIndex",
                                   query={"type": "uid", "value": "2710100000"}, headers={}, at=at)).status

    assert [call(at) for at in (10.0, 10.5, 10.8, 11.3)] == [200, 200, 418, 200]
    assert site.rate_limited == 1


def test_the_night_holds_what_the_benchmark_says():
    night = build_night(Emulator(), list(RUNNING), scale=0.1)
    assert [sum(group(row) == name for row in RUNNING) for name in GROUPS] == [87, 24, 3, 6, 5, 2]
    idle = [truth for truth in night.truths if truth.why == "stale-14d"]
    assert 0.12 <= len(idle) / len(RUNNING) <= 0.18  # about 15% idle beyond 14 days
    assert sum(truth.why == "account-gone" for truth in night.truths) == 3
    # A WeChat account idle beyond 14 days is decidable only through a list of its newest posts (an album).
    for row, truth in zip(RUNNING, night.truths):
        if row.platform == "wechat" and truth.why == "stale-14d":
            assert truth.decidable == (row.how == "album"), row.name
        if not truth.decidable:
            assert truth.note, row.name
    # Toutiao and Kuaishou rows filed by their ids only are found through the platforms' searches.
    assert all(truth.decidable for row, truth in zip(RUNNING, night.truths) if group(row) in ("头条", "快手"))


def bench_city(tmp_path: Path, *args: str) -> tuple[list[str], dict]:
    figures = tmp_path / "figures.json"
    done = subprocess.run([sys.executable, "-m", "bench.city", "--quick", "--scale", "0.05", *args,
                           "--json", str(figures)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout.strip().splitlines(), json.loads(figures.read_text(encoding="utf-8"))


def check_shape(lines: list[str], figures: dict) -> None:
    rows = quick_rows()
    expected = {name: sum(group(row) == name for row in rows) for name in GROUPS}
    start = lines.index(next(line for line in lines if line.startswith("| 平台 |")))
    body = lines[start + 2:start + 2 + len(expected) + 1]
    assert lines[start + 1].startswith("|---|")
    assert [line.split(" | ")[0].lstrip("| ") for line in body] == [*expected, "合计"]
    pattern = re.compile(r"\| (\S+) \| (\d+) \| (\d+)（(\d+)/(\d+)） \| (\d+)(?:：(.+))? \| 0 \| (\d+) \| (\d+) \| "
                         r"(\d+)（(\d+%|—)） \|")
    for line, name in zip(body, [*expected, "合计"]):
        match = pattern.fullmatch(line)
        assert match, line
        accounts, decided, passed, failed, review = map(int, match.group(2, 3, 4, 5, 6))
        assert accounts == (len(rows) if name == "合计" else expected[name])
        assert decided == passed + failed and decided + review == accounts
        if review:
            assert sum(int(part.rsplit(" ", 1)[1]) for part in match.group(7).split("，")) >= review
    assert figures["total"]["false_fail"] == 0
    assert all(platform["false_fail"] == 0 for platform in figures["platforms"].values())
    assert figures["table"] == lines[start:start + 2 + len(expected) + 1]
    assert re.fullmatch(r"误判不合格 0（须为 0），误判合格 \d+；机器判定 \d+/\d+；浏览器可判定的 \d+ 个中机器已判定 \d+ 个"
                        r"（\d+%，目标 ≥ 85%，(达到|未达到)）", lines[-2]), lines[-2]
    assert re.fullmatch(r"用时 \d+ 秒（审核本身，不含导入与启动模拟平台）", lines[-1]), lines[-1]


@pytest.mark.browser
@pytest.mark.slow
def test_a_reduced_night_has_no_false_fail_and_a_table_of_the_right_shape(tmp_path):
    lines, figures = bench_city(tmp_path)
    check_shape(lines, figures)
    assert any("按 0.05" in line or "× 0.05" in line for line in lines[:3])  # the scaling is said
    assert figures["platforms"]["头条"]["decidable"] == figures["platforms"]["头条"]["accounts"]


@pytest.mark.browser
@pytest.mark.slow
def test_a_client_faster_than_the_sites_pace_is_walled_and_refused_and_nothing_is_misjudged(tmp_path):
    # Sogou every 4 s where Sogou wants 10; every other host every 0.1 s where Weibo wants 0.4.
    lines, figures = bench_city(tmp_path, "--sogou-pace", "4", "--pace", "0.1")
    check_shape(lines, figures)
    assert figures["counts"]["sogou_walled"] >= 1 and figures["counts"]["weibo_418"] >= 1
    assert figures["platforms"]["微信"]["reasons"].get("blocked", 0) >= 1
