"""The preflight: before a run, one quick probe per host through the run's own browser and proxy.
With no network at all (a 20-account audit spent 30 s an account on retries, and said nothing
useful until the end), the audit stops within seconds with one line, exit 5, nothing stored; with
some hosts unreachable, it says which at the start and goes on."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nmaudit.cli import EXIT_NO_NETWORK
from tests.emulator import Emulator, Reply
from tests.fault_site import healthy_page

pytestmark = [pytest.mark.browser]

FILED = {"weibo": "https://weibo.com/u/27100000{n:02d}", "wechat": "https://mp.weixin.qq.com/s/baoji{n}",
         "app": "https://apps.apple.com/cn/app/id14000000{n:02d}", "web": "https://www{n}.baoji.gov.cn/"}


def city_registry(path: Path, count: int = 20) -> Path:
    lines = ["version: 1", "accounts:"]
    for n in range(count):
        platform = list(FILED)[n % 4]
        lines.append(f"  - {{id: a{n}, name: 宝鸡发布{n}, platform: {platform}, owner: 宝鸡市人民政府新闻办公室,"
                     f" urls: ['{FILED[platform].format(n=n)}']}}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def nmaudit(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nmaudit", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120, env=dict(os.environ, NO_COLOR="1", COLUMNS="200"))


@pytest.mark.parametrize("offline", [
    ["--browser-arg=--host-resolver-rules=MAP * ~NOTFOUND"],  # no DNS, no network
    ["--proxy", "http://127.0.0.1:9"],  # a proxy that is not there
], ids=["no-network", "wrong-proxy"])
def test_with_no_network_a_twenty_account_audit_stops_within_seconds_with_one_line(tmp_path: Path, offline):
    registry = city_registry(tmp_path / "accounts.yaml")
    started = time.monotonic()
    done = nmaudit("audit", str(registry), "--db", "nmaudit.db", *offline, cwd=tmp_path)
    elapsed = time.monotonic() - started
    assert done.returncode == EXIT_NO_NETWORK == 5, (done.returncode, done.stderr)
    assert elapsed < 30, f"{elapsed:.0f}s"
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert "无法连接任何平台" in lines[0] and "weibo.com" in lines[0] and "未保存任何批次" in lines[0]
    assert ("代理 http://127.0.0.1:9" if "--proxy" in offline else "网络连接") in lines[0]
    assert "Traceback" not in done.stderr and done.stdout == ""
    # Nothing half-stored: no run row, no evidence folder.
    assert sqlite3.connect(tmp_path / "nmaudit.db").execute("select count(*) from runs").fetchone() == (0,)
    assert not (tmp_path / "snapshots").exists()


def test_hosts_that_cannot_be_reached_are_named_at_the_start_and_the_run_goes_on(tmp_path: Path):
    from datetime import timedelta

    from nmaudit.dates import now

    with Emulator() as emulator:
        emulator.add("https://www.baoji.gov.cn/xwfb", Reply(body=healthy_page("宝鸡发布", now() - timedelta(hours=3))))
        registry = tmp_path / "accounts.yaml"
        registry.write_text(
            "version: 1\naccounts:\n"
            "  - {id: live, name: 宝鸡发布, platform: web, owner: 宝鸡市人民政府新闻办公室,"
            " urls: ['https://www.baoji.gov.cn/xwfb'],"
            " extract: {name: {css: h1}, posts: {css: li, attr: data-ts, format: '%s'}}}\n"
            "  - {id: gone, name: 宝鸡发布, platform: web, owner: 宝鸡市人民政府新闻办公室,"
            " urls: ['https://gone.baoji.gov.cn/xwfb'],"
            " extract: {name: {css: h1}, posts: {css: li, attr: data-ts, format: '%s'}}}\n", encoding="utf-8")
        rules = f"--host-resolver-rules=MAP gone.baoji.gov.cn ~NOTFOUND, MAP * 127.0.0.1:{emulator.port}, EXCLUDE localhost"
        done = nmaudit("audit", str(registry), "--db", "nmaudit.db", "--format", "json", "--pace", "0",
                       "--timeout", "5", f"--browser-arg={rules}", "--browser-arg=--ignore-certificate-errors",
                       cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert lines[0].startswith("无法连接 1 个主机，其账号将记为待复核：gone.baoji.gov.cn（"), lines
    import json

    verdicts = {item["id"]: item["verdict"] for item in json.loads(done.stdout)["accounts"]}
    assert verdicts == {"live": "pass", "gone": "review"}
