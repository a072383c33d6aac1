"""The demo: the sample registry and capture (make demo), and record-then-replay on every platform."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.demo_site import ROOT, record

pytestmark = pytest.mark.browser

#: What the sample capture shows; README's transcript shows the same.
EXPECTED = {
    "baoji-police-weibo": ("pass", []),
    "baoji-fabu-weibo": ("pass", []),
    "baoji-scjg-weibo": ("pass", ["stale-7d"]),
    "weibin-fabu-weibo": ("fail", ["stale-14d"]),
    "chencang-jiaojing-weibo": ("pass", ["name-mismatch", "certification-mismatch"]),
    "jintai-jiaoyu-weibo": ("fail", ["account-gone"]),
    "baoji-wenlv-weibo": ("review", ["blocked"]),
    "fengxiang-fabu-weibo": ("fail", ["no-interaction"]),
    "baoji-fabu-wechat": ("pass", []),
    "taibai-fabu-wechat": ("fail", ["stale-14d"]),
    "qishan-fabu-wechat": ("review", ["update-unverified"]),
    "linyou-fabu-wechat": ("pass", []),
    "meixian-fabu-wechat": ("pass", []),
    "baoji-zhengwu-app": ("pass", []),
    "qishan-zhengwu-app": ("fail", ["app-unavailable"]),
    "baoji-police-douyin": ("pass", []),
    "baoji-wenlv-bilibili": ("fail", ["stale-14d"]),
}


def replay(har: Path, workdir: Path) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "nmaudit", "audit", str(ROOT / "accounts.yaml"), "--replay", str(har),
         "--format", "json", "--db", str(workdir / "demo.db"), "--snapshots", str(workdir / "snapshots"),
         "--browser-arg=--host-resolver-rules=MAP * 127.0.0.1:9"],
        capture_output=True, text=True, timeout=300, env=dict(os.environ, NO_COLOR="1"),
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def judged(document: dict) -> dict:
    return {a["id"]: (a["verdict"], [f["code"] for f in a["findings"]]) for a in document["accounts"]}


def test_the_sample_capture_judges_as_documented(tmp_path):
    assert judged(replay(ROOT / "snapshots" / "sample.har", tmp_path)) == EXPECTED


def test_recording_the_fixtures_then_replaying_gives_the_same_observations(tmp_path):
    recorded = record(tmp_path / "capture.har")
    replayed = replay(tmp_path / "capture.har", tmp_path)
    assert judged(recorded) == EXPECTED
    assert replayed["run"]["as_of"] == recorded["run"]["as_of"]
    for before, after in zip(recorded["accounts"], replayed["accounts"]):
        assert (after["id"], after["verdict"], after["observed"]) == (before["id"], before["verdict"], before["observed"])
        assert [f["message"] for f in after["findings"]] == [f["message"] for f in before["findings"]]
