"""Sogou's real answers (../shared/real-pages/wechat): results read as a careful reader reads them,
the exact account told apart from look-alikes, and the antispider page taken for a wall."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from nmaudit.html import Document
from nmaudit.models import Account
from nmaudit.platforms.wechat import sogou_match, sogou_results
from tests.conftest import by_id, codes, run_audit
from tests.emulator import Emulator, Reply

REAL = Path(__file__).resolve().parents[2] / "shared" / "real-pages" / "wechat"
pytestmark = pytest.mark.skipif(not (REAL / "manifest.json").exists(),
                                reason=f"real captured pages not present ({REAL})")


def manifest(kind: str) -> list[dict]:
    return [entry for entry in json.loads((REAL / "manifest.json").read_text(encoding="utf-8")) if entry["kind"] == kind]


@pytest.mark.parametrize("entry", manifest("sogou-account-search"), ids=lambda e: e["file"])
def test_real_account_searches_read_as_their_truth(entry):
    document = Document((REAL / entry["file"]).read_text(encoding=entry["encoding"]))
    results = sogou_results(document)
    truth = entry["truth"]["results"]
    assert [(r.name, r.wechat_id, r.certification or None) for r in results] == [
        (t["account_name"], t["weixin_id"], t["certified_as"]) for t in truth]
    assert [r.latest for r in results] == [
        datetime.fromisoformat(t["recent_article_time"]) if t["recent_article_time"] else None for t in truth]


def test_the_exact_account_listed_second_is_found_by_its_wechat_id():
    entry = next(e for e in manifest("sogou-account-search") if "xiaoshengbibi" in e["file"])
    results = sogou_results(Document((REAL / entry["file"]).read_text(encoding="utf-8")))
    account = Account(id="a", name="小声比比", platform="wechat", owner="某单位", ids={"wechat_id": "ziquanM"})
    found, how = sogou_match(results, account)
    assert found is results[1] and how == "微信号 ziquanM 一致"
    # The name alone is not enough without the 认证主体 (none of these results is certified).
    found, _ = sogou_match(results, account.model_copy(update={"ids": account.ids.model_copy(update={"wechat_id": None})}))
    assert found is None


def test_the_real_antispider_page_stops_sogou(tmp_path):
    """Served in place of the results (no redirect), the real page is still taken for a wall."""
    wall = (REAL / "files" / "sogou-antispider-2017.html").read_bytes()
    accounts = [Account(id=f"w{i}", name=name, platform="wechat", owner="宝鸡市岐山县人民政府办公室")
                for i, name in enumerate(["岐山发布", "扶风发布"])]
    with Emulator() as emulator:
        emulator.add("https://weixin.sogou.com/weixin",
                     Reply(body=wall, content_type="text/html; charset=utf-8"))
        items = by_id(run_audit(emulator, accounts, tmp_path, concurrency=1))
        assert len([r for r in emulator.requests_to("weixin.sogou.com") if r.path == "/weixin"]) == 1
    assert codes(items["w0"]) == ["blocked"] and "访问过于频繁" in items["w0"].judgement.findings[0].message
    assert codes(items["w1"]) == ["blocked"] and items["w1"].observation.deferred == ["weixin.sogou.com"]
